"""``gongji calendar``: the working-day calendar from the command line (issue 14 §1).

``show YEAR`` lists the year's holidays, make-up days and adjustments and whether it is
provisional; ``add START N`` and ``between START END`` count working days; ``set``, ``clear`` and
``confirm`` edit it (audited, channel ``cli``, as the deployment's provincial system user).
All read the business clock and database of the environment (GONGJI_CLOCK, GONGJI_DATABASE_URL).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

calendar_app = typer.Typer(help="工作日历 Working-day calendar (节假日与调休)", no_args_is_help=True)
console = Console()


def _gj() -> Any:
    from gongji.entrypoints.cli import _gj as build

    return build()


def _run(use_case: Any) -> Any:
    from gongji.domain.errors import GongjiError
    from gongji.services.audit import Channel
    from gongji.services.auth import Principal, Role
    from gongji.services.registry.persons import Ctx

    gj = _gj()
    province = gj.profile.profile.province_code + "0000"
    system = Principal(user_id=0, username="system", role=Role.STAFF, display_name="系统", regions=(province,))
    ctx = Ctx(principal=system, channel=Channel("cli"), clock=gj.clock)

    def go(uow: Any) -> Any:
        result = use_case(uow, ctx)
        uow.commit()
        return result

    try:
        return gj.run(go)
    except GongjiError as err:
        console.print(f"[red]{err.code}[/red] {err.message_zh} / {err.message_en}")
        raise typer.Exit(1) from None


@calendar_app.command("show")
def show(year: int) -> None:
    """The year's holidays, make-up days and adjustments, and its standing."""
    from gongji.services import calendar

    view = _run(lambda uow, ctx: calendar.year_view(uow, year))
    standing = "官方安排" if view["official"] else "已确认" if view["confirmed"] else "暂定（周一至周五）"
    console.print(f"[bold]{year}年[/bold] {standing}" + (f" — {view['confirmed_source']}" if view["confirmed"] else ""))
    table = Table("日期", "周", "安排", "名称", "来源")
    for month in view["months"]:
        for d in month:
            if d["kind"] in ("holiday", "makeup") or d["source"] == "override":
                table.add_row(d["day"], "一二三四五六日"[d["weekday"] - 1], d["kind_zh"], d["name"], d["source_zh"])
    console.print(table)


@calendar_app.command("add")
def add(start: str, n: int) -> None:
    """The N-th working day after START (START not counted)."""
    from gongji.services import calendar

    day = date.fromisoformat(start)
    d = _run(lambda uow, ctx: calendar.deadline(uow, day, n))
    console.print(f"{d.due.isoformat()}" + ("  [yellow]暂定 provisional[/yellow]" if d.provisional else ""))


@calendar_app.command("between")
def between(start: str, end: str) -> None:
    """Working days in (START, END]."""
    from gongji.services import calendar

    a, b = date.fromisoformat(start), date.fromisoformat(end)
    cal = _run(lambda uow, ctx: calendar.load(uow))
    console.print(
        str(cal.working_days_between(a, b)) + ("  [yellow]暂定[/yellow]" if cal.provisional_between(a, b) else "")
    )


@calendar_app.command("set")
def set_day(
    day: str,
    note: Annotated[str, typer.Option(help="依据，如 国办发明电〔2026〕N号")],
    working: Annotated[bool, typer.Option("--working/--holiday", help="上班（调休）或放假")] = False,
    name: Annotated[str, typer.Option(help="名称，如 元旦")] = "",
) -> None:
    """Make DAY a holiday (--holiday) or a working day (--working)."""
    from gongji.services import calendar

    v = _run(
        lambda uow, ctx: calendar.set_day(uow, ctx, day=date.fromisoformat(day), working=working, name=name, note=note)
    )
    console.print(f"[green]{v['day']} {v['kind_zh']} {v['name']}[/green]")


@calendar_app.command("clear")
def clear(day: str, note: Annotated[str, typer.Option(help="原因")]) -> None:
    """Remove the adjustment of DAY."""
    from gongji.services import calendar

    v = _run(lambda uow, ctx: calendar.clear_day(uow, ctx, day=date.fromisoformat(day), note=note))
    console.print(f"[green]{v['day']} {v['kind_zh']} ({v['source_zh']})[/green]")


@calendar_app.command("confirm")
def confirm(year: int, source: Annotated[str, typer.Option(help="通知文号")]) -> None:
    """Confirm YEAR's schedule is entered: its other days are no longer provisional."""
    from gongji.services import calendar

    _run(lambda uow, ctx: calendar.confirm_year(uow, ctx, year=year, source=source))
    console.print(f"[green]{year}年节假日安排已确认[/green]")
