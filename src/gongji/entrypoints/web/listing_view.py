"""The web side of the list convention (issue 17): the view the ``_list.html`` macros render,
the region options of the viewer's scope, and a streamed Excel answer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from fastapi.responses import StreamingResponse

from gongji.adapters import xlsx_list
from gongji.adapters.region_data import region_table
from gongji.services.listing import ListQuery, ListSpec, Page


@dataclass
class ListView:
    q: ListQuery
    spec: ListSpec
    unit: str = "条"
    page: Page | None = None
    regions: list[dict[str, str]] = field(default_factory=list)
    export: str = ""
    form_id: str = "list-form"
    extra: list[dict[str, Any]] = field(default_factory=list)


def region_options(scope: Sequence[str], *, depth: int = 2) -> list[dict[str, str]]:
    """The viewer's regions and the current regions under them (cities, districts), by code."""
    table = region_table()
    out: dict[str, str] = {}

    def walk(code: str, level: int) -> None:
        out[code] = table.full_name(code)
        if level < depth:
            for child in sorted(table.children(code), key=lambda r: r.code):
                walk(child.code, level + 1)

    for code in scope:
        walk(code, 0)
    return [{"code": c, "name": n} for c, n in sorted(out.items())]


def params_of(values: Mapping[str, Any]) -> dict[str, str]:
    """Form or query values as plain strings (the last value of a repeated name)."""
    return {k: str(v) for k, v in values.items()}


def xlsx_answer(filename: str, f: IO[bytes]) -> StreamingResponse:
    """Stream a workbook ``xlsx_list.write`` made (inside the unit of work that read the rows)."""
    return StreamingResponse(
        xlsx_list.chunks(f),
        media_type=xlsx_list.XLSX,
        headers={"Content-Disposition": xlsx_list.disposition(filename), "Cache-Control": "no-store"},
    )
