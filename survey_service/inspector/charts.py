"""SVG bar charts of a summary's questions, drawn on the server (no scripts in the portal): the
figures as published, with a title and a description that say in words what the bars show."""

from __future__ import annotations

from html import escape

from survey_service.release.tables import Cell, QuestionTable

BAR_HEIGHT = 26
GAP = 8
LABEL_WIDTH = 260
BAR_AREA = 360
VALUE_WIDTH = 110


def chart_svg(summary: QuestionTable, chart_id: str) -> str:
    """A horizontal bar chart of percentages, with a title and a description that say in words
    what the bars show; hidden numbers are drawn as an outline and named."""
    rows = summary.rows
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH
    described = "; ".join(f"{c.label}: {_words(c)}" for c in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}"'
        f' role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(summary.text)}</title>',
        f'<desc id="{chart_id}-d">{escape(described)}</desc>',
    ]
    for index, cell in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        middle = y + BAR_HEIGHT / 2
        parts.append(
            f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end"'
            f' dominant-baseline="middle">{escape(_short(cell.label))}</text>'
        )
        value_x: float = LABEL_WIDTH + 6
        if cell.percent is None:
            pass
        elif isinstance(cell.percent, int | float):
            bar = max(BAR_AREA * float(cell.percent) / 100, 0 if cell.percent == 0 else 2)
            parts.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" width="{bar:.1f}"'
                f' height="{BAR_HEIGHT}"/>'
            )
            value_x = LABEL_WIDTH + bar + 6
        else:
            parts.append(
                f'<rect class="chart-hidden" x="{LABEL_WIDTH}" y="{y}" width="{BAR_AREA}"'
                f' height="{BAR_HEIGHT}"/>'
            )
        parts.append(
            f'<text class="chart-value" x="{value_x:.1f}" y="{middle}"'
            f' dominant-baseline="middle">{escape(_value(cell))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _value(cell: Cell) -> str:
    if isinstance(cell.percent, str):
        return f"{cell.percent} hidden"
    if cell.percent is None:
        return f"({cell.count})"
    return f"{cell.percent}% ({cell.count})"


def _words(cell: Cell) -> str:
    if isinstance(cell.percent, str):
        return "hidden because the number is small"
    if cell.percent is None:
        return "nobody answered"
    return f"{cell.percent} percent, about {cell.count} people"


def _short(label: str, limit: int = 36) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
