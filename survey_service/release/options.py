"""The settings a release follows, as one value (read from Settings.release)."""

from __future__ import annotations

import msgspec


class ReleaseOptions(msgspec.Struct, frozen=True):
    k: int
    min_batch: int
    delay_days: int
    schedule: str = "manual"
    period: str = "week"  # the period a released row shows the date it arrived at
