"""``gongji reimburse``: 零星报销 from the command line (issue 15 §2, §6; seed 003 附件二(四)).
``list --month YYYY-MM [--state S]`` prints the province's claims (names masked); ``advances --month
YYYY-MM --out DIR`` prints the 个人账户家庭共济垫付资金清算表 per authorizer region and writes it as .xlsx.
As the deployment's provincial system user (channel ``cli``), on the business clock and database
of the environment (GONGJI_CLOCK, GONGJI_DATABASE_URL)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

reimburse_app = typer.Typer(help="零星报销 Small reimbursements", no_args_is_help=True)
console = Console()
MONTH = Annotated[str, typer.Option("--month", help="月份 YYYY-MM")]


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _run(use_case: Any) -> Any:
    from gongji.entrypoints.cli_calendar import _run as run_as_province

    return run_as_province(use_case)


def _province() -> str:
    from gongji.entrypoints.cli import _gj

    return str(_gj().profile.profile.province_code)


@reimburse_app.command("list")
def list_claims(month: MONTH, state: Annotated[str, typer.Option("--state", help="状态")] = "") -> None:
    """The claims registered in the month (受理月份), newest first."""
    from gongji.services.backoffice import reimbursement_views as V

    rows = _run(lambda uow, ctx: V.list_claims(uow, ctx.principal, month=month, state=state))
    table = Table(
        "申请号", "参保人", "参保地", "原因", "状态", "发票合计", "支付至银行卡", title=f"{month} 零星报销（元）"
    )
    for c in rows:
        payout = "" if c["payout_fen"] is None else _yuan(c["payout_fen"])
        table.add_row(
            str(c["claim_id"]),
            c["person_name"],
            c["region_name"],
            c["reason_zh"],
            c["state_zh"],
            _yuan(c["total_fen"]),
            payout,
        )
    console.print(table)


@reimburse_app.command("advances")
def advances(month: MONTH, out: Annotated[Path, typer.Option("--out", help="输出目录")]) -> None:
    """The 垫付资金清算表 of the month: printed per authorizer region, written as .xlsx into OUT."""
    from gongji.entrypoints.cli import _progress
    from gongji.services.backoffice import reimbursement_advances as A

    province = _province()
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"家庭共济垫付资金清算表_{province}_{month}.xlsx"
    with _progress() as progress:
        task = progress.add_task(f"垫付资金清算表 {month}", total=2)

        def go(uow: Any, ctx: Any) -> dict[str, Any]:
            table = A.table(uow, ctx.principal, province, month)
            progress.advance(task)
            A.write_excel(uow, ctx.principal, province, month, path)
            progress.advance(task)
            return table

        table = _run(go)
    shown = Table("授权人参保地代码", "授权人参保地", "笔数", "垫付金额", title=f"{table['title']}（单位：元）")
    for g in table["regions"]:
        shown.add_row(g["region_code"], g["region_name"], str(g["items"]), _yuan(g["total_fen"]))
    shown.add_row("合计", "", str(table["items"]), _yuan(table["total_fen"]))
    console.print(shown)
    console.print(str(path))
