"""The folders the service ships beside its code: the form app (static/), the bundled
questionnaires and the guides (docs/).

In the repository they sit at the top level, where the team guide names them. A wheel carries
copies inside the package (pyproject.toml's force-include), since an installed service has no
repository beside it. `folder` finds whichever copy this installation has.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

STATIC = "static"
QUESTIONNAIRES = "questionnaires"
DOCS = "docs"


def folder(name: str) -> Path:
    """The packaged copy of a shipped folder (an installed wheel), else the repository's (a
    checkout or an editable install). The packaged copy comes first: beside an installed
    package lies site-packages, where a folder of that name may belong to anyone."""
    package = Path(str(resources.files("survey_service")))
    for candidate in (package / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"{name}/ is neither in the package ({package}) nor beside it: reinstall survey-service"
    )
