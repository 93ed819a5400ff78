"""The sheets around the survey: settings (and with them the form's languages), choices and
support; pure."""

from __future__ import annotations

from typing import Any

from survey_service.languages import TextProblem
from survey_service.xlsform import expressions
from survey_service.xlsform.reading import Reading, needed
from survey_service.xlsform.sheets import CellProblem, Place, Problem, Row, Sheet, language_tag

# Columns whose cells a respondent reads, per sheet: they come one per language.
TRANSLATED = {
    "survey": ("label", "hint", "min_label", "max_label"),
    "choices": ("label",),
    "support": ("name", "text"),
    "settings": ("translated_title",),
}
AUDIENCES = ("young_people", "staff")


def languages(reading: Reading, survey: Sheet, settings: Sheet) -> list[str]:
    """The label columns' languages, the settings' default_language (else the first) first."""
    tags = list(dict.fromkeys(survey.languages("label")))
    default = None
    if settings.rows:
        default = reading.attempt(settings.rows[0], lambda row: _default_language(row, tags))
    if default is not None:
        tags.remove(default)
        tags.insert(0, default)
    return tags


def check_language_columns(reading: Reading) -> None:
    """Every translated column comes once per language, and nothing else has a language."""
    tags = reading.languages
    listed = ", ".join(tags)
    for name, sheet in reading.sheets.items():
        translated = TRANSLATED.get(name, ())
        for column in sheet.columns:
            place = sheet.place(1, column)
            if column.language and column.base == "form_title":
                message = (
                    "ODK's tools cannot read a form_title with a language: give the title in "
                    f"'{column.language}' in translated_title::… ({column.language}) instead"
                )
            elif column.language and column.base not in translated:
                message = f"'{column.base}' is the same in every language: delete '::…'"
            elif column.language and column.language not in tags:
                message = (
                    f"'{column.language}' is not one of the form's languages (the survey "
                    f"sheet's label columns give {listed or 'none'})"
                )
            elif column.base in translated and not column.language and tags:
                message = (
                    f"the form has languages ({listed}): give this column one too, like "
                    f"{column.base}::English (en)"
                )
            else:
                continue
            reading.problems.append(Problem(place, message))
            for row in sheet.rows:  # reported once here, not again in each row
                row.taken.add(column.index)


def settings(reading: Reading, sheet: Sheet) -> dict[str, Any]:
    """id, version, audience and title from the settings sheet's one row of values."""
    if not sheet.rows:
        reading.problems.append(Problem(sheet.place(2), "is empty: give the settings in row 2"))
        return {}
    for extra in sheet.rows[1:]:
        reading.problems.append(Problem(extra.place(), "settings take one row (row 2) only"))
    found = reading.attempt(sheet.rows[0], lambda row: _settings_row(reading, row))
    if found is None:
        return {}
    reading.problems.extend(sheet.rows[0].leftovers())
    return found


def choice_lists(reading: Reading) -> None:
    sheet = reading.sheets.get("choices")
    if sheet is None:
        return

    def choice(row: Row) -> None:
        list_name = needed(row, "list_name", "the list this choice belongs to")
        code = needed(row, "name", "the choice's code, stored in the data")
        label = reading.texts(row, "label", required=True)
        choices = reading.lists.setdefault(list_name, [])
        place = row.at("name")
        if any(c["code"] == code for c in choices):
            raise CellProblem(place, f"list '{list_name}' has '{code}' twice")
        entry: dict[str, Any] = {"code": code, "label": label}
        # A choice that cannot be ticked with others ("No one"): a column ODK's tools ignore.
        if reading.expression(row, "exclusive", expressions.parse_yes_no):
            entry["exclusive"] = True
        choices.append(entry)
        reading.places.choice_rows[list_name, code] = place

    reading.rows(sheet, choice)


def support(reading: Reading, sheet: Sheet) -> list[dict[str, Any]]:
    contacts: list[dict[str, Any]] = []

    def contact(row: Row) -> None:
        entry: dict[str, Any] = {"name": reading.texts(row, "name", required=True)}
        phone = row.raw("phone")
        if phone is not None:
            if not isinstance(phone[0], str):
                raise CellProblem(
                    row.place(phone[1]),
                    "Excel stored this phone number as a number, which loses a leading 0: "
                    "format the column as Text and type it again (or start it with ')",
                )
            entry["phone"] = phone[0].strip()
        url = row.word("url")
        if url is not None:
            entry["url"] = url
        text = reading.texts(row, "text")
        if text is not None:
            entry["text"] = text
        name = entry["name"]
        default_name = name if isinstance(name, str) else next(iter(name.values()))
        reading.places.support_rows[default_name] = row.place()
        contacts.append(entry)

    reading.rows(sheet, contact)
    if not contacts:
        reading.problems.append(
            Problem(
                Place(sheet.name),
                "names no support contacts: add at least one row (a name, and a phone, url "
                "or text); the form shows them on every screen",
            )
        )
    return contacts


def _default_language(row: Row, tags: list[str]) -> str | None:
    found = row.raw("default_language")
    if found is None:
        return None
    value, column = found
    try:
        tag = language_tag(str(value))
    except TextProblem as exc:
        raise CellProblem(row.place(column), exc.reason) from None
    if not tags:
        raise CellProblem(
            row.place(column),
            "the survey sheet has no label::Language (tag) columns, so the form has one "
            "language: delete default_language, or name the label columns by language",
        )
    if tag not in tags:
        listed = ", ".join(tags)
        raise CellProblem(
            row.place(column), f"'{tag}' is not one of the label columns' languages ({listed})"
        )
    return tag


def _settings_row(reading: Reading, row: Row) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": needed(row, "form_id", "the questionnaire's id, like have-your-say"),
        "version": _version(row),
        "audience": needed(row, "audience", "young_people or staff"),
    }
    if found["audience"] not in AUDIENCES:
        raise CellProblem(
            row.at("audience"),
            f"must be young_people or staff, not '{found['audience']}'",
        )
    title = row.text("form_title")
    if title is None:
        raise CellProblem(row.at("form_title"), "form_title is empty: give the form a title")
    found["title"] = _titles(reading, row, title) if reading.languages else title
    return found


def _titles(reading: Reading, row: Row, title: str) -> dict[str, str]:
    """ODK's tools cannot read a form_title with a language, so the others have a column of
    their own that they ignore: translated_title::Polish (pl)."""
    default, others = reading.languages[0], reading.languages[1:]
    column = row.sheet.find("translated_title", default)
    if column is not None and row.text("translated_title", default) is not None:
        raise CellProblem(
            row.place(column), f"the title in '{default}', the default language, goes in form_title"
        )
    titles = {default: title}
    for tag in others:
        text = row.text("translated_title", tag)
        if text is None:
            raise CellProblem(
                row.at("translated_title", tag),
                f"the form's title in '{tag}' is missing: add it in translated_title::… ({tag}) "
                "(ODK's tools cannot read a form_title with a language)",
            )
        titles[tag] = text
    return titles


def _version(row: Row) -> int:
    found = row.raw("version")
    if found is None:
        raise CellProblem(row.at("version"), "version is empty: give a whole number, like 1")
    value, column = found
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise CellProblem(
            row.place(column),
            f"must be a whole number from 1, not '{value}' (a published version never "
            "changes: a changed form gets the next number)",
        )
    return value
