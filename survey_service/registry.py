"""Which questionnaire versions are published: reconciles files with the stored record."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import msgspec

from survey_service.confidentiality import check_safe_questions
from survey_service.questionnaires import (
    Check,
    Questionnaire,
    QuestionnaireError,
    canonical_bytes,
    content_hash,
    decode_canonical,
    load_dir,
)
from survey_service.responses import Rules
from survey_service.store import Store, StoredVersion

log = logging.getLogger(__name__)

Key = tuple[str, int]


class PublishedVersionChanged(QuestionnaireError):
    pass


class Registry:
    """Published versions in memory, with their JSON definitions encoded once."""

    def __init__(self, versions: Iterable[Questionnaire], retired: Iterable[Key] = ()):
        self._versions: dict[Key, Questionnaire] = {(q.id, q.version): q for q in versions}
        self._rules = {key: Rules(q) for key, q in self._versions.items()}
        self._retired: set[Key] = set()
        self._json: dict[Key, bytes] = {}
        self.set_retired(retired)

    def set_retired(self, retired: Iterable[Key]) -> None:
        self._retired = set(retired) & self._versions.keys()
        self._json = {key: self._encode(q) for key, q in self._versions.items()}

    def get(self, questionnaire: str, version: int) -> Questionnaire | None:
        return self._versions.get((questionnaire, version))

    def rules(self, questionnaire: str, version: int) -> Rules | None:
        """The version's answer rules, worked out once at load."""
        return self._rules.get((questionnaire, version))

    def knows(self, questionnaire: str) -> bool:
        return any(qid == questionnaire for qid, _ in self._versions)

    def is_retired(self, questionnaire: str, version: int) -> bool:
        return (questionnaire, version) in self._retired

    def latest(self, questionnaire: str) -> Questionnaire | None:
        """The highest version that still takes answers (None when all are retired)."""
        live = self.open_versions(questionnaire)
        return self._versions[(questionnaire, live[-1])] if live else None

    def open_versions(self, questionnaire: str) -> list[int]:
        return sorted(
            v
            for (qid, v) in self._versions
            if qid == questionnaire and (qid, v) not in self._retired
        )

    def definition_json(self, questionnaire: str, version: int) -> bytes | None:
        return self._json.get((questionnaire, version))

    def listing(self) -> list[dict[str, object]]:
        out = []
        for qid in sorted({qid for qid, _ in self._versions}):
            latest = self.latest(qid)
            if latest is None:
                continue  # every version retired: nothing takes answers
            out.append(
                {
                    "id": qid,
                    "version": latest.version,
                    "audience": latest.audience,
                    "title": latest.title,
                    "versions": self.open_versions(qid),
                }
            )
        return out

    def _encode(self, q: Questionnaire) -> bytes:
        body = msgspec.to_builtins(q)
        body["retired"] = (q.id, q.version) in self._retired
        return msgspec.json.encode(body)


# Every loading path applies the confidentiality rules for questionnaires (rule 4).
LOAD_CHECKS: tuple[Check, ...] = (check_safe_questions,)


def load(folder: Path) -> dict[Key, tuple[Path, Questionnaire]]:
    """The questionnaire files in a folder, checked for format and confidentiality."""
    return load_dir(folder, LOAD_CHECKS)


async def publish(store: Store, folder: Path) -> Registry:
    """Record new versions; refuse a published version whose file changed; keep deleted ones."""
    files = load(folder)
    stored = {(s.questionnaire, s.version): s for s in await store.published_versions()}
    for key, (path, q) in files.items():
        digest = content_hash(q)
        record = stored.get(key)
        if record is None:
            # Insert-if-absent, then compare: another instance may have published it first.
            new = StoredVersion(q.id, q.version, canonical_bytes(q), digest)
            record = stored[key] = await store.publish_version(new)
        if record.content_hash != digest:
            raise PublishedVersionChanged(
                str(path),
                f"{q.id} version {q.version} was published with different content and a "
                f"published version never changes: put the file back as it was, and save the "
                f"changes as a new file with version = {q.version + 1}",
            )
    for key in stored.keys() - files.keys():
        log.warning(
            "%s version %d has no file in %s any more; serving the published copy", *key, folder
        )
    versions = [decode_canonical(s.content) for s in stored.values()]
    return Registry(versions, retired=[k for k, s in stored.items() if s.retired])
