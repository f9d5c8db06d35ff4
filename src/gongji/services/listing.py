"""One list convention for the staff lists (issue 17): query parameters → filtered, sorted,
paged SQL.

A list declares a ``ListSpec`` (its sort keys with Chinese labels, its states, page size); the
page parses the request's parameters with ``ListQuery.parse`` (bad input → 4xx with a Chinese
message, never a 500) and runs ``page_of`` over its select, after ``filtered`` has applied the
date range, the region (inside the viewer's scope) and the state. The same ``ListQuery`` drives
the Excel export (``ordered`` without paging) and the Jinja macros in ``templates/_list.html``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import DateTime, Select, false, func, or_, select

from gongji.adapters.region_data import region_table
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import InvalidRequest, OutOfRegion
from gongji.domain.registry import scope_prefix

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ListSpec:
    """What one list offers: ``sorts`` maps a key to its Chinese label and SQL expression."""

    sorts: Mapping[str, tuple[str, Any]]
    default_sort: str
    default_desc: bool = True
    states: Mapping[str, str] = field(default_factory=dict)
    date_label: str = "日期"
    state_label: str = "状态"
    page_size: int = 20


@dataclass(frozen=True)
class ListQuery:
    date_from: date | None = None
    date_to: date | None = None
    region: str = ""
    state: str = ""
    sort: str = ""
    desc: bool = True
    page: int = 1
    size: int = 20

    @classmethod
    def parse(cls, params: Mapping[str, Any], spec: ListSpec) -> ListQuery:
        def text(name: str, n: int = 20) -> str:
            value = params.get(name)
            return str(value).strip()[:n] if value is not None else ""

        date_from, date_to = _date(text("from"), "from"), _date(text("to"), "to")
        if date_from and date_to and date_from > date_to:
            raise InvalidRequest("起始日期不能晚于截止日期", "From is after to", field="from")
        region = text("region", 6)
        if region and not (region.isdigit() and len(region) == 6 and region_table().is_known(region)):
            raise InvalidRequest("地区代码不存在", "Unknown region code", field="region")
        state = text("state", 30)
        if state and state not in spec.states:
            raise InvalidRequest("状态不存在", "Unknown state", field="state")
        sort = text("sort", 30) or spec.default_sort
        if sort not in spec.sorts:
            raise InvalidRequest("排序方式不存在", "Unknown sort key", field="sort")
        order = text("order", 4)
        desc = spec.default_desc if order not in ("asc", "desc") else order == "desc"
        return cls(
            date_from=date_from,
            date_to=date_to,
            region=region,
            state=state,
            sort=sort,
            desc=desc,
            page=_int(text("page", 7), 1, 1, 1_000_000),
            size=_int(text("size", 4), spec.page_size, 1, MAX_PAGE_SIZE),
        )

    def params(self, **override: Any) -> dict[str, str]:
        """The query as request parameters (for the pager's links and the export)."""
        q = replace(self, **override) if override else self
        out = {
            "from": q.date_from.isoformat() if q.date_from else "",
            "to": q.date_to.isoformat() if q.date_to else "",
            "region": q.region,
            "state": q.state,
            "sort": q.sort,
            "order": "desc" if q.desc else "asc",
            "page": str(q.page),
            "size": str(q.size),
        }
        return {k: v for k, v in out.items() if v}


@dataclass(frozen=True)
class Page:
    total: int
    rows: list[Any]
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def window(self, width: int = 2) -> list[int]:
        """The page numbers shown in the pager: the first, the last, and ``width`` around this one."""
        shown = {1, self.pages, *range(self.page - width, self.page + width + 1)}
        return sorted(n for n in shown if 1 <= n <= self.pages)


def _date(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest("日期格式应为yyyy-MM-dd", "Date must be yyyy-MM-dd", field=name) from None


def _int(value: str, default: int, low: int, high: int) -> int:
    if not value:
        return default
    if not (value.isascii() and value.isdigit()):
        raise InvalidRequest("页码须为正整数", "Page: a positive integer", field="page")
    return max(low, min(high, int(value)))


def region_scope(column: Any, regions: Sequence[str]) -> Any:
    """``column`` (a 6-digit region code) inside one of ``regions`` (each a prefix scope)."""
    if not regions:
        return false()
    return or_(*[column.startswith(scope_prefix(r), autoescape=True) for r in regions])


def within(region: str, regions: Sequence[str]) -> bool:
    return any(region.startswith(scope_prefix(r)) for r in regions)


def filtered(
    stmt: Any,
    lq: ListQuery,
    *,
    date_col: Any = None,
    region_col: Any = None,
    state_col: Any = None,
    scope: Sequence[str] | None = None,
) -> Any:
    """Apply the date range (inclusive; a timestamp column is read as Beijing days), the region
    (refused outside ``scope``) and the state; ``scope`` limits ``region_col`` to the viewer's
    regions (None: the list is not regional)."""
    if date_col is not None:
        is_time = isinstance(date_col.type, DateTime)
        zone = SHANGHAI if is_time and date_col.type.timezone else None  # a naive column holds Beijing time
        if lq.date_from:
            start = datetime.combine(lq.date_from, time(), zone) if is_time else lq.date_from
            stmt = stmt.where(date_col >= start)
        if lq.date_to:
            end = lq.date_to + timedelta(days=1)
            stmt = (
                stmt.where(date_col < datetime.combine(end, time(), zone))
                if is_time
                else stmt.where(date_col <= lq.date_to)
            )
    if region_col is not None:
        if scope is not None:
            stmt = stmt.where(region_scope(region_col, scope))
        if lq.region:
            if scope is not None and not within(lq.region, scope) and not any(within(r, [lq.region]) for r in scope):
                raise OutOfRegion("所选地区不在您的经办区域内", "Region outside your scope")
            stmt = stmt.where(region_col.startswith(scope_prefix(lq.region), autoescape=True))
    if state_col is not None and lq.state:
        stmt = stmt.where(state_col == lq.state)
    return stmt


def ordered(stmt: Any, lq: ListQuery, spec: ListSpec, *tiebreak: Any) -> Any:
    """Sort by the chosen key, then by ``tiebreak`` (e.g. the id) so pages never overlap."""
    expr = spec.sorts[lq.sort or spec.default_sort][1]
    first = expr.desc() if lq.desc else expr.asc()
    return stmt.order_by(first, *[t.desc() if lq.desc else t.asc() for t in tiebreak])


def page_of(session: Any, stmt: Select[Any], lq: ListQuery, *, scalars: bool = False) -> Page:
    """The total (one COUNT over the filtered select) and the rows of the asked page."""
    total = int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)
    pages = max(1, -(-total // lq.size))
    page = min(lq.page, pages)
    paged = stmt.offset((page - 1) * lq.size).limit(lq.size)
    rows = list(session.scalars(paged) if scalars else session.execute(paged))
    return Page(total=total, rows=rows, page=page, size=lq.size)
