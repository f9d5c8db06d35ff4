"""The cascading region picker (省 → 市 → 区县 → 乡镇街道, issue 17) and its JSON endpoint.

The picker is plain ``<select>`` elements, one per level, named ``<name>_1`` … ``<name>_4``,
rendered by the server with the chain of the current value (``templates/_region_picker.html``);
``static/region_picker.js`` (no library) refills the lower levels from ``GET /api/regions``
when a level changes. Without JavaScript the selects still post, and ``picked`` takes the
deepest one that belongs under the one above it. Levels 1–3 are GB/T 2260 codes (6 digits); the
4th, 乡镇/街道, are the collection units (9 digits) of a district, where the district has them.
A staff member is offered only the regions over or inside their scope.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy import select

from gongji.adapters.db.models import CollectionUnit
from gongji.adapters.region_data import region_table
from gongji.domain.errors import InvalidRequest
from gongji.domain.registry import scope_prefix
from gongji.services.auth import Principal, Role

router = APIRouter()
TOWN_KINDS = ("town", "township", "street")


def _allowed(code: str, scope: Sequence[str] | None) -> bool:
    """``code`` is over or inside one of the scope's regions (None: no limit)."""
    if scope is None:
        return True
    return any(code.startswith(scope_prefix(s)) or s.startswith(scope_prefix(code)) for s in scope)


def children(parent: str, scope: Sequence[str] | None = None, session: Any = None) -> list[dict[str, str]]:
    """The current regions directly under ``parent`` ("" = the provinces), by code."""
    table = region_table()
    if parent == "":
        found = table.in_province("", level="province")
    else:
        region = table.get(parent)
        if region is not None and region.level == "county":
            return _towns(parent, scope, session)
        found = []
        for r in sorted(table.children(parent, current_only=False), key=lambda r: r.code):
            if r.current:
                found.append(r)
            else:  # the abolished 市辖区 level of a 直辖市: its current districts hang under the province
                found += sorted(table.children(r.code), key=lambda r: r.code)
    return [{"code": r.code, "name": r.name} for r in found if _allowed(r.code, scope)]


def _towns(district: str, scope: Sequence[str] | None, session: Any) -> list[dict[str, str]]:
    if session is None or (scope is not None and not _allowed(district, scope)):
        return []
    rows = session.execute(
        select(CollectionUnit.code, CollectionUnit.name)
        .where(
            CollectionUnit.region_code == district,
            CollectionUnit.parent_id.is_(None),
            CollectionUnit.kind.in_(TOWN_KINDS),
            CollectionUnit.active.is_(True),
        )
        .order_by(CollectionUnit.code)
    ).all()
    return [{"code": c, "name": n} for c, n in rows]


def chain(code: str) -> list[str]:
    """``620702`` → ``["620000", "620700", "620702"]`` (the current ancestors, then the code)."""
    table = region_table()
    if len(code) == 9:
        return [*chain(code[:6]), code]
    out: list[str] = []
    r = table.get(code)
    while r is not None:
        if r.current:
            out.append(r.code)
        r = table.get(r.parent_code) if r.parent_code else None
    return list(reversed(out))


def levels(value: str, scope: Sequence[str] | None, *, depth: int = 3, session: Any = None) -> list[dict[str, Any]]:
    """What the template renders: per level its options and the selected code. With a scope
    of one region the chain down to it is preselected."""
    if not value and scope and len(scope) == 1:
        value = scope[0]
    picked = chain(value) if value else []
    out: list[dict[str, Any]] = []
    parent = ""
    for i in range(depth):
        options = children(parent, scope, session) if (i == 0 or parent) else []
        selected = picked[i] if i < len(picked) else ""
        out.append({"level": i + 1, "options": options, "selected": selected})
        parent = selected
    return out


def picked(*codes: str) -> str:
    """The deepest chosen level (``<name>_1``, ``<name>_2`` … in order) that belongs under the
    level above it ("" if none)."""
    value = ""
    for raw in codes:
        code = (raw or "").strip()
        if not code or not code.isdigit() or (value and not code.startswith(scope_prefix(value))):
            break
        value = code
    return value


def _scope_of(request: Request) -> Sequence[str] | None:
    from gongji.entrypoints.web.pages import _principal

    principal: Principal | None = _principal(request)
    return principal.regions if principal is not None and principal.role is Role.STAFF else None


@router.get("/api/regions", tags=["registry"])
def region_children(request: Request, parent: str = "") -> dict[str, Any]:
    """行政区划下级: the current regions under ``parent`` (GB/T 2260; empty = the provinces; under a
    district its 乡镇/街道 collection units). A logged-in clerk gets only those of their scope."""
    parent = parent.strip()
    if parent and not (parent.isdigit() and len(parent) in (6, 9)):
        raise InvalidRequest("地区代码应为6位数字", "Region code: 6 digits", field="parent")
    if len(parent) == 9:
        return {"parent": parent, "items": []}
    gj = request.app.state.gj
    scope = _scope_of(request)
    with gj.uow() as uow:
        items = children(parent, scope, uow.session)
    return {"parent": parent, "items": items}
