"""``gongji payments``: the monthly payment of institutions from the command line (issue 15 §2).

``prepare --month YYYY-MM --region 330106`` aggregates the month and lists the differences;
``approve`` (a second clerk: ``--as USERNAME``), ``export --out DIR`` (the payment order's bank
file, CSV, and the 拨付结算单 .xlsx; orders the payment if it is only approved), ``confirm
--institution CODE --bank-ref REF --key KEY [--rejected --reason …]`` (the bank's answer). Each
command runs the staff use case, audited with channel ``cli``; ``--as`` acts as that staff user
(four eyes need two), without it as ``system`` with the province's scope. Rich progress bars."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

payments_app = typer.Typer(help="定点医药机构费用拨付 Monthly payment of institutions", no_args_is_help=True)
console = Console()
MONTH = Annotated[str, typer.Option("--month", help="结算月份 YYYY-MM")]
REGION = Annotated[str, typer.Option("--region", help="统筹区（就医地）代码，如 330106")]
AsUser = Annotated[str | None, typer.Option("--as", help="act as this staff user (their regions)")]


def _run(acting_as: str | None, use_case: Any) -> Any:
    from gongji.entrypoints.cli_institutions import _run as run_as

    return run_as(acting_as, use_case)


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


def _find(uow: Any, region: str, month: str) -> Any:
    from gongji.domain.errors import NotFound
    from gongji.services.backoffice import institution_payments as P

    run = P.find_run(uow, region, month)
    if run is None:
        raise NotFound("该月尚未编制拨付结算单（先运行 gongji payments prepare）", "No statement for this month")
    return run


def _print(view: dict[str, Any]) -> None:
    table = Table(
        "定点医药机构", "笔数", "撤销", "统筹基金", "个人账户", "家庭共济", "应拨付", "状态",
        title=f"{view['region_name']} {view['month']} 定点医药机构费用拨付结算单（单位：元）",
    )  # fmt: skip
    for x in view["lines"]:
        table.add_row(
            x["institution_name"],
            str(x["settlements"]),
            str(x["reversals"]),
            _yuan(x["fund_fen"]),
            _yuan(x["own_acct_fen"]),
            _yuan(x["family_fen"]),
            _yuan(x["total_fen"]),
            x["state_zh"],
        )
    table.add_row("合计", str(view["settlements"]), "", _yuan(view["fund_fen"]), _yuan(view["own_acct_fen"]),
                  _yuan(view["family_fen"]), _yuan(view["total_fen"]), view["state_zh"])  # fmt: skip
    console.print(table)
    for d in view["differences"]:
        where = f" 结算ID {d['setl_id']}" if d["setl_id"] else ""
        console.print(
            f"[yellow]差异[/yellow] {d['institution_name']} {d['source_zh']}{where}："
            f"{d['description']}（{d['state_zh']}）"
        )
    console.print(f"状态：{view['state_zh']}；未处理差异 {view['open_differences']} 条")


@payments_app.command("prepare")
def prepare(month: MONTH, region: REGION, acting_as: AsUser = None) -> None:
    """Aggregate the month's settlements per institution and compare with their 3201/3202."""
    from gongji.entrypoints.cli import _progress
    from gongji.services.backoffice import institution_payments as P

    with _progress() as progress:
        task = progress.add_task(f"拨付 {region} {month}", total=2)

        def go(uow: Any, ctx: Any) -> dict[str, Any]:
            run = P.prepare(uow, ctx, region, month)
            progress.advance(task)
            view = P.run_view(uow, run)
            progress.advance(task)
            return view

        view = _run(acting_as, go)
    _print(view)


@payments_app.command("approve")
def approve(month: MONTH, region: REGION, acting_as: AsUser = None) -> None:
    """Approve the statement (not by the clerk who prepared it)."""
    from gongji.services.backoffice import institution_payments as P

    _print(_run(acting_as, lambda uow, ctx: P.run_view(uow, P.approve(uow, ctx, _find(uow, region, month).id))))


@payments_app.command("export")
def export(
    month: MONTH,
    region: REGION,
    out: Annotated[Path, typer.Option("--out", help="输出目录")],
    acting_as: AsUser = None,
) -> None:
    """Write the payment order's bank file (CSV) and the statement (.xlsx) into OUT."""
    from gongji.entrypoints.cli import _progress
    from gongji.services.backoffice import institution_payments as P
    from gongji.services.backoffice import institution_payments_excel as X

    out.mkdir(parents=True, exist_ok=True)
    with _progress() as progress:
        task = progress.add_task("支付单", total=3)

        def go(uow: Any, ctx: Any) -> tuple[str, Path, Path]:
            run = _find(uow, region, month)
            if run.state == "approved":
                P.order(uow, ctx, run.id)
            progress.advance(task)
            bank = out / f"{run.order_no}.csv"
            bank.write_bytes(P.bank_export(uow, ctx, run))
            progress.advance(task)
            statement = out / f"拨付结算单_{region}_{month}.xlsx"
            X.write_statement(uow, run, statement)
            progress.advance(task)
            return str(run.order_no), bank, statement

        order_no, bank, statement = _run(acting_as, go)
    console.print(f"支付单 {order_no}\n{bank}\n{statement}")


@payments_app.command("confirm")
def confirm(
    month: MONTH,
    region: REGION,
    institution: Annotated[str, typer.Option("--institution", help="定点医药机构编码")],
    key: Annotated[str, typer.Option("--key", help="请求标识（重复提交返回同一结果）")],
    bank_ref: Annotated[str, typer.Option("--bank-ref", help="银行流水号")] = "",
    rejected: Annotated[bool, typer.Option("--rejected", help="银行退回")] = False,
    reason: Annotated[str, typer.Option("--reason", help="退回原因")] = "",
    acting_as: AsUser = None,
) -> None:
    """Record the bank's answer for one institution: paid (ledger entry) or rejected (stays owed)."""
    from gongji.services.backoffice import institution_payments as P

    def go(uow: Any, ctx: Any) -> dict[str, Any]:
        run = _find(uow, region, month)
        P.confirm(uow, ctx, run.id, institution, bank_ref=bank_ref, request_key=key, paid=not rejected, reason=reason)
        return P.run_view(uow, run)

    _print(_run(acting_as, go))
