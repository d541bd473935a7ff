"""Small formatting helpers shared by the report and its targets (`report.py`, `targets.py`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

TARGET_SIZE = 1000
TOOLS = ("indico_sync", "hugo", "jekyll")
NAMES = {"indico_sync": "indico_sync", "hugo": "Hugo", "jekyll": "Jekyll"}


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def s(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def wall(results: Mapping[str, Any], size: int, tool: str, kind: str) -> float | None:
    """A tool's median wall time; None if not measured (results from before `changed`)."""
    entry = results["builds"].get(str(size), {}).get(tool)
    return entry[kind]["wall"] if entry and kind in entry else None


def ratio(top: float | None, bottom: float | None) -> float | None:
    return None if top is None or bottom is None or bottom == 0 else top / bottom


def rss(value: float) -> str:
    """Peak RSS, or n/a when GNU time was not there to measure it (NaN)."""
    return "n/a" if math.isnan(value) else f"{value:.0f}"


def mb(value: float | None) -> str:
    return "-" if value is None else f"{rss(value)} MB"
