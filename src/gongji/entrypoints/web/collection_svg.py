"""Server-side SVG charts for the collection dashboard (issue 16 §2): no CDN, no JavaScript.

``progress_line``: the cumulative paid share by day against the target steps (seed 002 §八3);
``ranking_bars``: one bar per child area or unit, red when behind the step in force, with the
required share marked. Both are plain strings of SVG with escaped labels (``Markup``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from markupsafe import Markup, escape

from gongji.domain import collection as C

RED, GREEN, BLUE, GREY = "#c0392b", "#2e7d32", "#1f5fa8", "#9aa5b1"


def progress_line(
    series: Sequence[tuple[date, int]], task: int, curve: Sequence[C.Step], day: date, *, end: date | None = None
) -> Markup:
    w, h, left, right, top, bottom = 640, 260, 44, 12, 14, 30
    start = series[0][0] if series else day - timedelta(days=30)
    end = end or max([day, *(s.due for s in curve)])
    span = max(1, (end - start).days)

    def x(d: date) -> float:
        return left + (w - left - right) * (d - start).days / span

    def y(permille: float) -> float:
        return top + (h - top - bottom) * (1 - min(permille, 1000) / 1000)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" class="chart" '
        f'data-testid="progress-chart" aria-label="征缴进度与目标">'
    ]
    for p in (0, 250, 500, 750, 1000):
        parts.append(
            f'<line x1="{left}" x2="{w - right}" y1="{y(p):.1f}" y2="{y(p):.1f}" stroke="#e3e7ec"/>'
            f'<text x="{left - 6}" y="{y(p) + 4:.1f}" font-size="11" text-anchor="end" fill="#555">{p // 10}%</text>'
        )
    d = date(start.year, start.month, 1)
    while d <= end:
        if d >= start:
            parts.append(
                f'<text x="{x(d):.1f}" y="{h - 10}" font-size="11" text-anchor="middle" fill="#555">{d.month}月</text>'
            )
        d = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    # the target steps: 0 until the first due date, then each share from its date on
    pts, share = [(start, 0)], 0
    for s in curve:
        if start <= s.due <= end:
            pts += [(s.due, share), (s.due, s.share_permille)]
        share = s.share_permille if s.due <= end else share
    pts.append((end, share))
    step_pts = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in pts)
    parts.append(
        f'<polyline data-testid="target-steps" points="{step_pts}" fill="none" stroke="{RED}" '
        f'stroke-width="1.5" stroke-dasharray="5 4"/>'
    )
    for s in curve:
        if start <= s.due <= end:
            parts.append(
                f'<text x="{x(s.due) - 3:.1f}" y="{y(s.share_permille) - 4:.1f}" font-size="10" text-anchor="end" '
                f'fill="{RED}">{s.due.month}-{s.due.day} ≥{s.share_permille // 10}%</text>'
            )
    line = [(a, C.progress_permille(n, task) if task else 0) for a, n in series if a <= day]
    if line:
        actual = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in line)
        parts.append(
            f'<polyline data-testid="progress-line" points="{actual}" fill="none" stroke="{BLUE}" stroke-width="2.5"/>'
        )
        last_d, last_p = line[-1]
        parts.append(
            f'<circle cx="{x(last_d):.1f}" cy="{y(last_p):.1f}" r="4" fill="{BLUE}"/>'
            f'<text x="{x(last_d) + 6:.1f}" y="{y(last_p) - 6:.1f}" font-size="12" fill="{BLUE}">'
            f"{C.percent(last_p)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def ranking_bars(rows: Sequence[object], *, href: str) -> Markup:
    """Bars of ``rows`` (objects with name, key, permille, required_permille, behind), in order.
    ``href`` is formatted with ``key``."""
    rows = list(rows)[:60]
    bar, gap, left, w = 18, 6, 130, 640
    h = max(1, len(rows)) * (bar + gap) + 24
    scale = (w - left - 60) / 1000
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" class="chart" '
        f'data-testid="ranking-chart" aria-label="完成率排名">'
    ]
    for i, r in enumerate(rows):
        top = 8 + i * (bar + gap)
        permille = min(int(getattr(r, "permille")), 1000)  # noqa: B009
        behind = bool(getattr(r, "behind"))  # noqa: B009
        required = int(getattr(r, "required_permille"))  # noqa: B009
        name = escape(str(getattr(r, "name")))  # noqa: B009
        link = escape(href.format(key=getattr(r, "key")))  # noqa: B009
        color = RED if behind else GREEN
        parts.append(
            f'<a href="{link}"><g data-testid="rank-bar" data-behind="{str(behind).lower()}">'
            f'<text x="{left - 6}" y="{top + bar - 5}" font-size="12" text-anchor="end" fill="#222">{name}</text>'
            f'<rect x="{left}" y="{top}" width="{max(1.0, permille * scale):.1f}" height="{bar}" fill="{color}"/>'
            f'<text x="{left + permille * scale + 4:.1f}" y="{top + bar - 5}" font-size="11" '
            f'fill="{color}">{C.percent(permille)}</text></g></a>'
        )
        if required:
            rx = left + required * scale
            parts.append(
                f'<line x1="{rx:.1f}" x2="{rx:.1f}" y1="{top - 2}" y2="{top + bar + 2}" stroke="#222" '
                f'stroke-width="1.5" stroke-dasharray="2 2"/>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
