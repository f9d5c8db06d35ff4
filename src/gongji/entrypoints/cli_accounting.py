"""``gongji accounting``: the month's 记账凭证 and 试算平衡表 from the command line (issue 15 §5;
seed 003 附件四). ``vouchers --month YYYY-MM [--region 330100] [--out FILE]`` and
``trial-balance --month … [--region …] [--out FILE]`` print the table (amounts in yuan) and, with
``--out``, write the .xlsx finance prints. As the deployment's provincial system user (audited,
channel ``cli``); ``--region`` defaults to the whole province."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

accounting_app = typer.Typer(help="会计核算 Journal vouchers and trial balance", no_args_is_help=True)
console = Console()
MONTH = Annotated[str, typer.Option("--month", help="会计期间 YYYY-MM")]
REGION = Annotated[str, typer.Option("--region", help="统筹区（或市、省）代码，默认全省")]
OUT = Annotated[Path | None, typer.Option("--out", help="写出 Excel 文件 (.xlsx)")]


def _yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}" if fen else ""


def _run(which: str, month: str, region: str, out: Path | None) -> dict[str, Any]:
    from gongji.entrypoints.cli import _progress
    from gongji.entrypoints.cli_calendar import _run as run_as_province
    from gongji.services.backoffice import accounting as A
    from gongji.services.backoffice import accounting_excel as X

    with _progress() as progress:
        task = progress.add_task(f"{'记账凭证' if which == 'vouchers' else '试算平衡表'} {month}", total=2)

        def go(uow: Any, ctx: Any) -> dict[str, Any]:
            if out is not None:
                out.parent.mkdir(parents=True, exist_ok=True)
                data = X.WRITERS[which](uow, ctx, out, month=month, region=region or None)
            elif which == "vouchers":
                data = A.vouchers(uow, ctx, month=month, region=region or None)
            else:
                data = A.trial_balance(uow, ctx, month=month, region=region or None)
            progress.advance(task, 2)
            return data

        return run_as_province(go)  # type: ignore[no-any-return]


@accounting_app.command("vouchers")
def vouchers(month: MONTH, region: REGION = "", out: OUT = None) -> None:
    """The month's vouchers: one per region, day and kind of business event, numbered per region."""
    v = _run("vouchers", month, region, out)
    table = Table(
        "凭证号",
        "日期",
        "统筹区",
        "摘要",
        "会计科目",
        "借方",
        "贷方",
        title=f"{v['region_name']} {month} 记账凭证（单位：元）",
    )
    for x in v["vouchers"]:
        for i, ln in enumerate(x["lines"]):
            head = (x["number"], x["date"], x["region_name"], x["summary"]) if i == 0 else ("", "", "", "")
            table.add_row(*head, f"{ln['code']} {ln['subject']}", _yuan(ln["debit_fen"]), _yuan(ln["credit_fen"]))
    table.add_row("合计", "", "", f"{len(v['vouchers'])}张", "", _yuan(v["debit_fen"]), _yuan(v["credit_fen"]))
    console.print(table)
    if out is not None:
        console.print(str(out))


@accounting_app.command("trial-balance")
def trial_balance(month: MONTH, region: REGION = "", out: OUT = None) -> None:
    """试算平衡表: opening, the month's debits and credits, closing, per subject; checks the totals."""
    t = _run("trial-balance", month, region, out)
    table = Table(
        "科目编码", "会计科目", "期初借方", "期初贷方", "本期借方", "本期贷方", "期末借方", "期末贷方",
        title=f"{t['region_name']} {month} 试算平衡表（单位：元）",
    )  # fmt: skip
    keys = (
        "opening_debit_fen",
        "opening_credit_fen",
        "debit_fen",
        "credit_fen",
        "closing_debit_fen",
        "closing_credit_fen",
    )
    for r in t["rows"]:
        table.add_row(r["code"], "  " * (r["level"] - 1) + r["short"], *(_yuan(r[k]) for k in keys))
    table.add_row("合计", "", *(_yuan(t["totals"][k]) for k in keys))
    console.print(table)
    console.print("试算结果：" + ("[green]平衡[/green]" if t["balanced"] else "[red]不平衡[/red]"))
    if out is not None:
        console.print(str(out))
    if not t["balanced"]:
        raise typer.Exit(2)
