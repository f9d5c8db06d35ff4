"""``gongji premium-clearing``, ``gongji tax-recon`` and ``gongji tax-sim`` (issue 15 §4; seed 003 附件三).

- ``premium-clearing generate --month 2026-12`` (the 保险费划扣明细表), ``show --month``,
  ``excel --month --out FILE``;
- ``tax-recon publish --week 2026-W49`` (the week to the intermediate table, with a progress bar),
  ``fetch --week`` (the differences tax wrote back), ``show --week``, ``excel --week --out FILE``;
- ``tax-sim compare --week [--kinds missing,amount,status,extra]`` and ``tax-sim apply --week``:
  the tax bureau's side, simulated (``entrypoints.tax_simulator``), on the intermediate tables only.

Staff steps (confirm, 用款计划, transfers, settling differences) are on the pages and the API. The
CLI acts as the deployment's provincial system user (audited, channel ``cli``) on the business
clock and database of the environment (GONGJI_CLOCK, GONGJI_DATABASE_URL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

premium_clearing_app = typer.Typer(help="保险费划扣明细表与全额清算 Premium clearing", no_args_is_help=True)
tax_recon_app = typer.Typer(help="医保税务协同对账 Weekly reconciliation with tax", no_args_is_help=True)
tax_sim_app = typer.Typer(help="税务侧对账模拟器 Tax-side reconciliation simulator", no_args_is_help=True)
console = Console()
Month = Annotated[str, typer.Option("--month", help="YYYY-MM")]
Week = Annotated[str, typer.Option("--week", help="ISO 周次，如 2026-W49")]


def _yuan(fen: int | None) -> str:
    return "—" if fen is None else f"{fen / 100:,.2f}"


def _run(use_case: Any) -> Any:
    from gongji.entrypoints.cli_calendar import _run as run

    return run(use_case)


@premium_clearing_app.command("generate")
def generate(month: Month) -> None:
    """Generate the month's 明细表 (after the month ended; again while no region confirmed)."""
    from gongji.services.backoffice import premium_clearing as PC

    view = _run(lambda uow, ctx: PC.generate(uow, ctx, month=month))
    _show_month(view)


@premium_clearing_app.command("show")
def show_month(month: Month) -> None:
    """The month's regions (confirmation against the 5th) and 全额清算 transfers."""
    from gongji.services.backoffice import premium_clearing as PC

    _show_month(_run(lambda uow, ctx: PC.month_view(uow, ctx, month=month)))


def _show_month(v: dict[str, Any]) -> None:
    p = v["province"]
    console.print(
        f"[bold]{v['month']}[/bold] {p['line_count']} 笔，合计 {_yuan(p['total_fen'])} 元"
        f"（本统筹区 {_yuan(p['within_fen'])}，跨统筹区 {_yuan(p['across_fen'])}）；"
        f"确认期限 {v['confirm_due']}，划转期限 {v['transfer_due']}"
    )
    table = Table("统筹区", "本统筹区划转", "跨区应付", "跨区应收", "确认", title="单位：元")
    for r in v["regions"]:
        late = f"（{r['working_days_late']}个工作日）" if r["working_days_late"] else ""
        table.add_row(
            f"{r['region_name']} {r['region_code']}", _yuan(r["within_fen"]), _yuan(r["pay_fen"]),
            _yuan(r["receive_fen"]), r["confirm_state_zh"] + late,
        )  # fmt: skip
    console.print(table)
    for t in v["transfers"]:
        console.print(
            f"  {t['payer_name']} → {t['payee_name']} {_yuan(t['amount_fen'])} 元，期限 {t['due']}，{t['state_zh']}"
        )


@premium_clearing_app.command("excel")
def month_excel(month: Month, out: Annotated[Path, typer.Option("--out")]) -> None:
    """The month's tables as an Excel file (汇总, 全额清算, 明细)."""
    from gongji.services.backoffice import premium_clearing_excel

    out.write_bytes(_run(lambda uow, ctx: premium_clearing_excel.month_workbook(uow, ctx, month=month)))
    console.print(f"已写入 {out}")


@tax_recon_app.command("publish")
def publish(week: Week) -> None:
    """Publish the week's family-account premium details to the intermediate table."""
    from gongji.services.backoffice import tax_recon as TR

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task(f"推送 {week}", total=TR.PUBLISH_STEPS)

        def step(what: str) -> None:
            bar.update(task, advance=1, description=f"推送 {week}：{what}")

        result = _run(lambda uow, ctx: TR.publish(uow, ctx, week=week, progress=step))
    console.print(
        f"已推送 {result['week']}：{result['row_count']} 笔，合计 {_yuan(result['total_fen'])} 元，"
        f"其中已缴费 {_yuan(result['paid_fen'])} 元"
    )


@tax_recon_app.command("fetch")
def fetch(week: Week) -> None:
    """Read the differences the tax side wrote back."""
    from gongji.services.backoffice import tax_recon as TR

    result = _run(lambda uow, ctx: TR.fetch_differences(uow, ctx, week=week))
    console.print(f"{result['week']}：新读取差异 {result['fetched']} 条")


@tax_recon_app.command("show")
def show_week(week: Week) -> None:
    """Both sides' totals and the differences (ID numbers masked)."""
    from gongji.services.backoffice import tax_recon as TR

    v = _run(lambda uow, ctx: TR.week_view(uow, ctx, week=week))
    theirs = v["theirs"] or {}
    console.print(
        f"[bold]{v['week']}[/bold] 医保 {v['ours']['row_count']} 笔 {_yuan(v['ours']['total_fen'])} 元；"
        f"税务 {theirs.get('row_count', '—')} 笔 {_yuan(theirs.get('total_fen'))} 元；"
        + ("[green]账账相符[/green]" if v["balanced"] else f"{v['tax_state_zh']}，待处理 {v['open_count']} 条")
    )
    table = Table("编号", "差异", "流水号", "医保", "税务", "状态")
    for d in v["differences"]:
        table.add_row(
            str(d["id"]), d["kind_zh"], d["request_id"], f"{_yuan(d['mi_amount_fen'])} {d['mi_status'] or ''}",
            f"{_yuan(d['tax_amount_fen'])} {d['tax_status'] or ''}", d["state_zh"],
        )  # fmt: skip
    console.print(table)


@tax_recon_app.command("excel")
def week_excel(week: Week, out: Annotated[Path, typer.Option("--out")]) -> None:
    from gongji.services.backoffice import tax_recon_excel

    out.write_bytes(_run(lambda uow, ctx: tax_recon_excel.week_workbook(uow, ctx, week=week)))
    console.print(f"已写入 {out}")


def _tax_engine() -> Any:
    from gongji.adapters.db.tax_exchange import tax_side_engine
    from gongji.config import Settings

    return tax_side_engine(Settings.from_env().database_url)


@tax_sim_app.command("compare")
def sim_compare(
    week: Week,
    kinds: Annotated[str, typer.Option("--kinds", help="逗号分隔：missing,amount,status,extra；none 不制造差异")] = (
        "missing,amount,status,extra"
    ),
) -> None:
    """The tax side compares a published week and writes its differences back."""
    from gongji.entrypoints import tax_simulator as T
    from gongji.entrypoints.cli import _gj

    chosen = [] if kinds.strip() == "none" else [k.strip() for k in kinds.split(",") if k.strip()]
    unknown = set(chosen) - set(T.ALL_KINDS)
    if unknown:
        console.print(f"[red]E_VALIDATION[/red] 未知差异类型 {sorted(unknown)}")
        raise typer.Exit(1)
    try:
        o = T.compare(_tax_engine(), week, now=_gj().clock.now(), kinds=chosen)
    except (LookupError, RuntimeError) as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{o.batch_no}：{o.state}，差异 {o.differences} 条；税务 {o.row_count} 笔 {_yuan(o.total_fen)} 元")


@tax_sim_app.command("apply")
def sim_apply(week: Week) -> None:
    """The tax side applies the resolutions written back; balanced when the totals agree."""
    from gongji.entrypoints import tax_simulator as T
    from gongji.entrypoints.cli import _gj

    try:
        o = T.apply(_tax_engine(), week, now=_gj().clock.now())
    except LookupError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{o.batch_no}：{o.state}；税务 {o.row_count} 笔 {_yuan(o.total_fen)} 元")
