"""The questionnaire file an import writes: TOML through tomli-w, headed by where it came from."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

import tomli_w


def to_toml(raw: dict[str, Any], source: str) -> str:
    name = "".join(c if c.isprintable() else "?" for c in PurePath(source).name)
    header = (
        f"# Written by `survey-service import-xlsform` from {name}.\n"
        "# Change the spreadsheet and import it again rather than editing this file. A published\n"
        "# version never changes: a changed form needs the next version in the settings sheet.\n"
    )
    return header + tomli_w.dumps(raw, multiline_strings=True)


def file_name(questionnaire: str, version: int, suffix: str = ".toml") -> str:
    return f"{questionnaire}-v{version}{suffix}"
