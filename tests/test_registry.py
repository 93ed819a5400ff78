"""Published versions never change: the stored copy rules, a changed file stops start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from survey_service import registry


def bump(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


async def test_a_changed_published_file_stops_start_up_naming_file_and_fix(
    store, questionnaires_dir: Path
):
    await registry.publish(store, questionnaires_dir)
    path = questionnaires_dir / "every-type-v1.toml"
    bump(path, "How old are you?", "What age are you?")
    with pytest.raises(registry.PublishedVersionChanged) as caught:
        await registry.publish(store, questionnaires_dir)
    message = str(caught.value)
    assert str(path) in message
    assert "every-type version 1" in message
    assert "version = 2" in message


async def test_comments_and_whitespace_are_not_a_change(store, questionnaires_dir: Path):
    await registry.publish(store, questionnaires_dir)
    path = questionnaires_dir / "every-type-v1.toml"
    path.write_text("# reviewed by the inspectors\n\n" + path.read_text(), encoding="utf-8")
    await registry.publish(store, questionnaires_dir)


async def test_a_new_version_is_served_beside_the_old(store, questionnaires_dir: Path):
    await registry.publish(store, questionnaires_dir)
    v1 = questionnaires_dir / "every-type-v1.toml"
    v2 = questionnaires_dir / "every-type-v2.toml"
    v2.write_text(v1.read_text(encoding="utf-8").replace("version = 1", "version = 2"))
    bump(v2, "How old are you?", "What age are you?")
    reg = await registry.publish(store, questionnaires_dir)
    assert reg.open_versions("every-type") == [1, 2]
    latest = reg.latest("every-type")
    assert latest is not None
    assert latest.version == 2
    old = reg.get("every-type", 1)
    assert old is not None
    assert "How old are you?" in [q.text for q in old.questions()]


async def test_a_deleted_file_is_served_from_the_stored_copy(
    store, questionnaires_dir: Path, caplog
):
    await registry.publish(store, questionnaires_dir)
    (questionnaires_dir / "every-type-v1.toml").unlink()
    reg = await registry.publish(store, questionnaires_dir)
    assert reg.get("every-type", 1) is not None
    assert "serving the published copy" in caplog.text


async def test_latest_skips_retired_versions(store, questionnaires_dir: Path):
    v1 = questionnaires_dir / "every-type-v1.toml"
    (questionnaires_dir / "v2.toml").write_text(
        v1.read_text(encoding="utf-8").replace("version = 1", "version = 2")
    )
    await registry.publish(store, questionnaires_dir)
    await store.set_retired("every-type", 2, True)
    reg = await registry.publish(store, questionnaires_dir)
    latest = reg.latest("every-type")
    assert latest is not None
    assert latest.version == 1
    assert reg.is_retired("every-type", 2)
    assert b'"retired":true' in (reg.definition_json("every-type", 2) or b"")
