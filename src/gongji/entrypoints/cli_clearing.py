"""``gongji clearing``: the monthly clearing between pooling regions from the command line
(issue 15 §3, §6). ``run --month YYYY-MM`` pre-generates (or regenerates) the province's run and
prints the balance table; ``tables --month … --out DIR`` writes 清算平衡表 and 明细表 as .xlsx,
streaming the detail rows. As the deployment's provincial system user (audited, channel ``cli``),
on the business clock and database of the environment (GONGJI_CLOCK, GONGJI_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

clearing_app = typer.Typer(help="家庭共济资金清算 Monthly clearing between pooling regions", no_args_is_help=True)
console = Console()
MONTH = Annotated[str, typer.Option("--month", help="数据月份 YYYY-MM")]


def _run(use_case: Any) -> Any:
    from gongji.entrypoints.cli_calendar import _run as run_as_province

    return run_as_province(use_case)


def _province() -> str:
    from gongji.entrypoints.cli import _gj

    return str(_gj().profile.profile.province_code)


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _print_balance(view: dict[str, Any]) -> None:
    table = Table(
        "地区代码", "地区", "应付其他地区", "其他地区应付", "净额", title=f"{view['month']} 清算平衡表（单位：元）"
    )
    for c in view["cities"]:
        table.add_row(
            c["city_code"],
            c["city_name"],
            _yuan(c["owed_to_others_fen"]),
            _yuan(c["owed_by_others_fen"]),
            _yuan(c["net_fen"]),
        )
    console.print(table)
    ok = "通过" if view["checked_ok"] else "未通过"
    console.print(f"明细 {view['items']} 笔，合计 {_yuan(view['total_fen'])} 元；平衡校验：{ok}")


@clearing_app.command("run")
def run(month: MONTH) -> None:
    """Pre-generate the month's clearing: aggregates by the database, then the balance check."""
    from gongji.entrypoints.cli import _progress
    from gongji.services.backoffice import clearing as C

    province = _province()
    with _progress() as progress:
        task = progress.add_task(f"清算 {month}", total=2)

        def go(uow: Any, ctx: Any) -> dict[str, Any]:
            run = C.run_month(uow, ctx, province, month)
            progress.advance(task)
            view = C.run_view(uow, run, ctx.clock.today())
            progress.advance(task)
            return view

        view = _run(go)
    _print_balance(view)


@clearing_app.command("tables")
def tables(month: MONTH, out: Annotated[Path, typer.Option("--out", help="输出目录")]) -> None:
    """Write the month's 清算平衡表 and 明细表 (.xlsx) into OUT."""
    from gongji.entrypoints.cli import _progress
    from gongji.services.backoffice import clearing as C
    from gongji.services.backoffice import clearing_tables as T

    province = _province()
    out.mkdir(parents=True, exist_ok=True)
    balance_path = out / f"清算平衡表_{province}_{month}.xlsx"
    detail_path = out / f"清算明细表_{province}_{month}.xlsx"
    with _progress() as progress:

        def go(uow: Any, ctx: Any) -> int:
            run = C.find_run(uow, province, month)
            if run is None:
                from gongji.domain.errors import NotFound

                raise NotFound("该月尚未生成清算数据（先运行 gongji clearing run）", "No clearing run for this month")
            task = progress.add_task("平衡表", total=1)
            T.write_balance(uow, run, balance_path)
            progress.advance(task)
            rows = progress.add_task("明细表", total=max(int(run.items), 1))
            return T.write_detail(uow, run, detail_path, progress=lambda n: progress.update(rows, completed=n))

        n = _run(go)
    console.print(f"{balance_path}\n{detail_path}（明细 {n} 笔）")
