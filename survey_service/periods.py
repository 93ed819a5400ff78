"""Date labels: the only time a response keeps (rule 3), and the period (day, ISO week or month)
a release shows it at; pure."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

BLANK = "[c]"
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def utc_today() -> dt.date:
    """Today in UTC: the only clock the service reads for dates (tests pass their own)."""
    return dt.datetime.now(dt.UTC).date()


def label(today: dt.date, precision: str) -> str:
    """The label a response received today keeps: its date, or its ISO week."""
    if precision == "week":
        year, week, _ = today.isocalendar()
        return f"{year}-W{week:02d}"
    return today.isoformat()


def last_day(period: str) -> dt.date:
    """The last day a day or week label covers."""
    if _DAY.match(period):
        return dt.date.fromisoformat(period)
    week = _WEEK.match(period)
    if week:
        return dt.date.fromisocalendar(int(week[1]), int(week[2]), 7)
    raise ValueError(f"not a day or week label: {period!r}")


def at_level(period: str, level: str) -> str:
    """A stored label at the level a release shows: "day" (as stored), "week" or "month"
    (a week's month is the month of its Thursday, so every day of it lands in one month)."""
    if level == "day":
        return period
    week = _WEEK.match(period)
    if _DAY.match(period):
        if level == "month":
            return period[:7]
        year, number, _ = dt.date.fromisoformat(period).isocalendar()
        return f"{year}-W{number:02d}"
    if week and level == "month":
        thursday = dt.date.fromisocalendar(int(week[1]), int(week[2]), 4)
        return f"{thursday.year}-{thursday.month:02d}"
    return period


def span(labels: Iterable[str]) -> list[str]:
    """Every label from the earliest to the latest of some labels of one kind (days, weeks or
    months), gaps filled in: the periods a batch's answers may have come from."""
    found = sorted(set(labels))
    if not found:
        return []
    first, last = _start(found[0]), _start(found[-1])
    out, day = [], first
    kind = _kind(found[0])
    while day <= last:
        out.append(_label_of(day, kind))
        day = _next(day, kind)
    return out


def _kind(label: str) -> str:
    return "day" if _DAY.match(label) else "week" if _WEEK.match(label) else "month"


def _start(label: str) -> dt.date:
    week = _WEEK.match(label)
    if week:
        return dt.date.fromisocalendar(int(week[1]), int(week[2]), 1)
    if _MONTH.match(label):
        return dt.date.fromisoformat(label + "-01")
    return dt.date.fromisoformat(label)


def _label_of(day: dt.date, kind: str) -> str:
    if kind == "day":
        return day.isoformat()
    if kind == "week":
        year, number, _ = day.isocalendar()
        return f"{year}-W{number:02d}"
    return f"{day.year}-{day.month:02d}"


def _next(day: dt.date, kind: str) -> dt.date:
    if kind == "day":
        return day + dt.timedelta(days=1)
    if kind == "week":
        return day + dt.timedelta(days=7)
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
