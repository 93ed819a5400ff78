"""Date labels: the only time a response keeps (rule 3), and how a label widens (day, ISO week,
month) when a release must blur it further; pure."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

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


def wider(period: Any) -> Any:
    """One step coarser: a day becomes its ISO week, a week the month holding its Thursday
    (so every day of a week lands in the same month: the steps form a tree), a month is
    blanked. None when there is no wider step (no date, or blanked already)."""
    if period is None or period == BLANK:
        return None
    if _DAY.match(period):
        year, number, _ = dt.date.fromisoformat(period).isocalendar()
        return f"{year}-W{number:02d}"
    week = _WEEK.match(period)
    if week:
        thursday = dt.date.fromisocalendar(int(week[1]), int(week[2]), 4)
        return f"{thursday.year}-{thursday.month:02d}"
    return BLANK


def is_month(period: str) -> bool:
    return bool(_MONTH.match(period))
