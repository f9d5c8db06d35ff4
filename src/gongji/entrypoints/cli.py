"""The ``gongji`` command: serve, migrate, demo, users, check-profiles, check-ledger, rollover."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from gongji.config import Settings
from gongji.entrypoints import runfile

app = typer.Typer(help="共济 Gongji — basic medical insurance platform", no_args_is_help=True)
users_app = typer.Typer(help="用户管理 Users", no_args_is_help=True)
app.add_typer(users_app, name="users")
from gongji.entrypoints.cli_institutions import institutions_app, tax_keys_app  # noqa: E402

app.add_typer(institutions_app, name="institutions")
app.add_typer(tax_keys_app, name="tax-keys")
console = Console()


def _calendar_app() -> typer.Typer:
    from gongji.entrypoints.cli_calendar import calendar_app

    return calendar_app


app.add_typer(_calendar_app(), name="calendar")
from gongji.entrypoints.cli_tax_recon import premium_clearing_app, tax_recon_app, tax_sim_app  # noqa: E402

app.add_typer(premium_clearing_app, name="premium-clearing")
app.add_typer(tax_recon_app, name="tax-recon")
app.add_typer(tax_sim_app, name="tax-sim")
from gongji.entrypoints.cli_clearing import clearing_app  # noqa: E402

app.add_typer(clearing_app, name="clearing")
from gongji.entrypoints.cli_accounting import accounting_app  # noqa: E402

app.add_typer(accounting_app, name="accounting")
from gongji.entrypoints.cli_reimbursement import reimburse_app  # noqa: E402

app.add_typer(reimburse_app, name="reimburse")
from gongji.entrypoints.cli_payments import payments_app  # noqa: E402

app.add_typer(payments_app, name="payments")


def _gj():  # type: ignore[no-untyped-def]
    from gongji.bootstrap import bootstrap
    from gongji.policy import ProfileError

    try:
        return bootstrap()
    except ProfileError as err:
        console.print(f"[red]策略配置无效 Invalid policy profile[/red]\n{err}")
        raise typer.Exit(2) from None


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _system_ctx(gj: Any):  # type: ignore[no-untyped-def]
    from gongji.services.audit import Channel
    from gongji.services.auth import Principal, Role
    from gongji.services.registry.persons import Ctx

    # The actor recorded in the audit log for CLI runs; it has no region scope of its own.
    system = Principal(user_id=0, username="system", role=Role.STAFF, display_name="系统")
    return Ctx(principal=system, channel=Channel("cli"), clock=gj.clock)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (Alembic)."""
    from gongji.adapters.db.migrate import upgrade

    settings = Settings.from_env()
    if settings.database_url.startswith("sqlite:///"):
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    console.print(f"[green]数据库已迁移到最新版本[/green] {settings.database_url.split('@')[-1]}")


@app.command("check-profiles")
def check_profiles(directory: Annotated[Path | None, typer.Option(help="profiles folder")] = None) -> None:
    """Validate every policy profile against the schema; list the demo (unsourced) figures."""
    from gongji.policy import ProfileError, load_profiles

    try:
        profiles = load_profiles(directory)
    except ProfileError as err:
        console.print(f"[red]策略配置无效 Invalid policy profile[/red]\n{err}")
        raise typer.Exit(2) from None
    table = Table("code", "名称", "funding", "demo figures (未找到来源的演示数值)")
    for code, p in sorted(profiles.items()):
        demo = p.demo_fields()
        table.add_row(
            code,
            p.name,
            p.family.funding_model,
            f"{len(demo)}: " + ", ".join(demo[:4]) + (" …" if len(demo) > 4 else ""),
        )
    console.print(table)


@app.command("check-ledger")
def check_ledger() -> None:
    """Check the whole ledger: Σ postings = 0, balance = opening + postings, none negative, and no
    personal or family account money paid to a cash payout account (except an invoiced 零星报销)."""
    from gongji.services import ledger

    gj = _gj()
    with gj.uow() as uow:
        result = ledger.check_ledger(uow)
    console.print(f"transactions {result.transactions:,}  postings {result.postings:,}  Σ {result.total_fen}")
    for txn in result.unbalanced_txns:
        console.print(f"[red]unbalanced transaction {txn}[/red]")
    for code, stored, expected in result.drifted_accounts:
        console.print(f"[red]{code}: balance {stored} ≠ opening + postings {expected}[/red]")
    for code, balance in result.negative_accounts:
        console.print(f"[red]{code}: negative balance {balance}[/red]")
    for txn, kind in result.cash_out_txns:
        console.print(f"[red]transaction {txn} ({kind}): personal or family money paid out as cash[/red]")
    if not result.ok:
        raise typer.Exit(1)
    console.print("[green]账本平衡 Ledger OK[/green]")


@app.command()
def demo(
    province: Annotated[str, typer.Option(help="gansu | zhejiang | henan")] = "gansu",
    persons: Annotated[int, typer.Option(min=10, max=5_000_000)] = 2000,
    seed: Annotated[int, typer.Option()] = 1,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="do nothing if persons exist")] = False,
) -> None:
    """Load a reproducible synthetic demo province (streamed batches, bounded memory)."""
    from gongji.services.demo import province as demo_service
    from gongji.services.registry import persons as registry

    gj = _gj()
    with gj.uow() as uow:
        existing = registry.count_persons(uow)
    if existing:
        if if_empty:
            console.print(f"数据库已有 {existing:,} 名人员，跳过演示数据。Demo data already loaded.")
            _print_logins(demo_service.demo_logins_from_db(gj))
            return
        console.print("[red]数据库不是空的；演示数据只能载入空库。The database is not empty.[/red]")
        raise typer.Exit(1)
    with _progress() as progress:
        task = progress.add_task(f"生成演示数据 {province}", total=persons)
        summary = demo_service.generate(
            gj,
            province=province,
            persons=persons,
            seed=seed,
            progress=lambda n: progress.update(task, completed=n),
        )
    console.print(
        f"[green]演示数据已载入[/green] {summary.persons:,} 人, {summary.households:,} 户, "
        f"{summary.institutions} 家定点机构, {summary.elapsed_s:.1f} s"
    )
    _print_logins(demo_service.demo_logins(summary))


def _print_logins(logins: list[tuple[str, str, str, str]]) -> None:
    """The demo logins, one row per kind: per-city staff and hospitals are collapsed."""
    table = Table("角色 role", "用户名 username", "密码 password", "说明", title="演示账号 Demo logins")
    shown: dict[str, int] = {}
    for role, username, password, what in logins:
        group = "staff_city" if username.startswith("staff_") and username != "staff_province" else role
        group = "institution" if role == "institution" else group
        shown[group] = shown.get(group, 0) + 1
        if group in {"staff_city", "institution"} and shown[group] > 1:
            continue
        table.add_row(role, username, password, what)
    for group, label in (
        ("staff_city", "staff_<市代码> 每市一个 one per city"),
        ("institution", "his_<机构编码> 每市一家医院 one hospital per city"),
    ):
        if shown.get(group, 0) > 1:
            table.add_row("", f"… {shown[group] - 1} more", "", label)
    console.print(table)
    console.print(
        "居民医保 Resident insurance: 经办 staff → /staff/resident (参保登记表、退费审核、全额资助花名册导入);\n"
        "  参保人 citizen → /me/premiums (我的缴费与退费申请), /me/family/premiums (家庭共济代缴)"
    )
    if shown.get("institution"):
        console.print(
            "两定接口 National interface: POST /fsi/api/rsfComIfsService/callService (docs/settlement.md)\n"
            "  每家演示机构已发放网关密钥 (gongji institutions keys list <编码>); 请求签名见 docs/his-signing.md\n"
            "医院模拟器 Hospital simulator, in a second terminal with the server's GONGJI_KEY_PEPPER (it re-derives\n"
            "  the demo keys): .venv/bin/gongji his --count 50 --concurrency 4\n"
            "接入真实 HIS: .venv/bin/gongji institutions keys issue <编码>  (密钥只显示一次 the secret is shown once)"
        )


@app.command()
def rollover(year: Annotated[int, typer.Option(help="the year being closed")]) -> None:
    """Year-end rollover: move every current-year balance into past years (历年结余)."""
    from gongji.services.registry import accounts
    from gongji.services.registry import persons as registry

    gj = _gj()
    ctx = _system_ctx(gj)
    with gj.uow() as uow:
        total = registry.count_personal_accounts(uow)
    moved, after = 0, 0
    with _progress() as progress:
        task = progress.add_task(f"{year} 年度结转", total=total)
        while True:
            with gj.uow() as uow:
                batch = accounts.persons_with_accounts(uow, after_id=after, limit=1000)
            if not batch:
                break

            def go(uow: Any, batch: list[int] = batch) -> int:
                n = accounts.year_end_rollover(uow, ctx, year=year, person_ids=batch)
                uow.commit()
                return n

            moved += gj.run(go)
            after = batch[-1]
            progress.advance(task, len(batch))
    console.print(f"[green]结转完成[/green] {moved:,} 个账户")


@app.command()
def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT")] = 8000,
    workers: Annotated[int, typer.Option()] = 1,
) -> None:
    """Serve the site and the API (uvicorn)."""
    import uvicorn

    from gongji.services import province_guard

    gj = _gj()  # fail early on a bad profile or database
    try:
        province_guard.check(gj)  # one database, one province
    except province_guard.ProvinceMismatch as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    _refuse_dev_secrets_off_loopback(host)
    console.print(
        f"[bold]共济 Gongji[/bold]\n  登录 Log in:   http://{host}:{port}/login\n"
        f"  API 文档 docs: http://{host}:{port}/docs\n  错误码 errors: http://{host}:{port}/api/errors\n"
        f"  健康检查:      http://{host}:{port}/healthz\n  Ctrl+C 停止 to stop"
    )
    runfile.write(host, port)  # gongji his finds this server without --url
    try:
        uvicorn.run("gongji.entrypoints.api.asgi:app", host=host, port=port, workers=workers, log_level="info")
    finally:
        runfile.remove()


def _refuse_dev_secrets_off_loopback(host: str) -> None:
    """The 医保码 token secret and the gateway key pepper have laptop defaults; serving beyond this
    machine with them would let anyone who read the source forge a 医保码 or a key (issue 13)."""
    import ipaddress

    from gongji.services.institutions.keys import PEPPER_ENV
    from gongji.services.settlement.credentials import EC_SECRET_ENV

    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    missing = [name for name in (EC_SECRET_ENV, PEPPER_ENV) if not os.environ.get(name)]
    if missing and not loopback:
        console.print(
            f"[red]在 {host} 上对外服务须设置 {'、'.join(missing)}（开发默认值只可用于本机 127.0.0.1）。\n"
            f"Serving on {host} needs {', '.join(missing)}; the development defaults are for loopback only.[/red]"
        )
        raise typer.Exit(2)


@app.command()
def his(
    url: Annotated[str, typer.Option(help="the running gongji server (default: the one gongji serve started)")] = "",
    count: Annotated[int, typer.Option(min=1, help="settlement rounds (1101 → 2201 → 2206 → 2207)")] = 100,
    concurrency: Annotated[int, typer.Option(min=1, max=256, help="threads, each with its own clients")] = 4,
    style: Annotated[str, typer.Option(help="URL style: body | path | service | mixed")] = "mixed",
    seed: Annotated[int, typer.Option(help="the plan of rounds (who, where, how much)")] = 1,
) -> None:
    """医院模拟 Hospital simulator: the demo's institutions settle visits of demo persons over HTTP."""
    import httpx2 as httpx

    from gongji.entrypoints import his_simulator as sim

    if style not in ("body", "path", "service", "mixed"):
        console.print("[red]--style 须为 body、path、service 或 mixed[/red]")
        raise typer.Exit(2)
    url = runfile.server_url(url)
    gj = _gj()
    cast = sim.load_cast(gj)
    if not cast.sites or not cast.patients:
        console.print("[red]数据库中没有持有网关密钥的定点机构或参保人员；请先运行 gongji demo。[/red]")
        raise typer.Exit(1)
    try:
        httpx.get(url.rstrip("/") + "/healthz", timeout=5).raise_for_status()
    except httpx.HTTPError as err:
        console.print(f"[red]{runfile.unreachable_hint(url)}[/red]\n{err}")
        raise typer.Exit(1) from None
    clients: list[httpx.Client] = []

    def http_factory() -> httpx.Client:
        client = httpx.Client(base_url=url.rstrip("/"), timeout=60)
        clients.append(client)
        return client

    console.print(
        f"{len(cast.sites)} 家定点机构, {len(cast.patients):,} 名参保人员 → {url} "
        f"({count} 轮, {concurrency} 并发, {style}, seed {seed})"
    )
    try:
        with _progress() as progress:
            task = progress.add_task("结算 settling", total=count)
            result = sim.run_simulation(
                http_factory,
                gj,
                count=count,
                concurrency=concurrency,
                style=style,  # type: ignore[arg-type]
                seed=seed,
                on_progress=lambda done, total: progress.update(task, completed=done),
                cast=cast,
            )
    finally:
        for client in clients:
            client.close()
    for table in sim.summary_tables(result):
        console.print(table)
    if result.settlements == 0 or result.not_adding_up:
        raise typer.Exit(1)


@app.command("his-rx")
def his_rx(
    url: Annotated[str, typer.Option(help="the running gongji server (default: the one gongji serve started)")] = "",
    count: Annotated[int, typer.Option(min=1, help="prescription rounds (upload → fetch → dispense → settle)")] = 20,
    seed: Annotated[int, typer.Option(help="the plan of rounds")] = 1,
) -> None:
    """外配处方模拟 External prescriptions: a hospital where the centre is live uploads, a pharmacy of its
    pooling region fetches, dispenses and settles; some rounds try to settle more than was dispensed."""
    import httpx2 as httpx

    from gongji.entrypoints import his_prescriptions as rx

    url = runfile.server_url(url)
    gj = _gj()
    clients: list[httpx.Client] = []

    def http_factory() -> httpx.Client:
        client = httpx.Client(base_url=url.rstrip("/"), timeout=60)
        clients.append(client)
        return client

    try:
        with _progress() as progress:
            task = progress.add_task("外配处方 prescriptions", total=count)
            out = rx.run(
                http_factory, gj, count=count, seed=seed, on_progress=lambda d, t: progress.update(task, completed=d)
            )
    except ValueError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(1) from None
    except httpx.HTTPError as err:
        console.print(f"[red]{runfile.unreachable_hint(url)}[/red]\n{err}")
        raise typer.Exit(1) from None
    finally:
        for client in clients:
            client.close()
    console.print(
        f"结算 settled {out.settled} / {out.rounds}；超量被拒 over-quantity refused {out.over_quantity_refused}"
    )
    for message, n in out.refused.most_common():
        console.print(f"[red]{message}[/red] × {n}")
    if out.refused or out.settled == 0:
        raise typer.Exit(1)


@app.command("his-scan")
def his_scan(
    url: Annotated[str, typer.Option(help="the running gongji server (default: the one gongji serve started)")] = "",
    site: Annotated[str, typer.Option(help="fixmedins_code of the counter's institution (default: the first)")] = "",
    amount: Annotated[str, typer.Option(help="医疗费总额 in yuan, e.g. 25.00")] = "25.00",
    flag: Annotated[str, typer.Option(help="acct_used_flag 0/1/2")] = "1",
    code: Annotated[str, typer.Option(help="the 医保码 text; asked for when not given")] = "",
) -> None:
    """收费窗口 The counter: paste a citizen's 医保码 text and settle one visit with it (01 医保电子凭证)."""
    from decimal import Decimal, InvalidOperation

    import httpx2 as httpx

    from gongji.adapters.nhsa.client import HisClient
    from gongji.entrypoints import his_counter
    from gongji.entrypoints import his_simulator as sim

    try:
        fen = int(Decimal(amount) * 100)
    except InvalidOperation:
        fen = -1
    if fen <= 0 or Decimal(fen) != Decimal(amount) * 100:
        console.print("[red]--amount 须为正的元金额，最多两位小数[/red]")
        raise typer.Exit(2)
    url = runfile.server_url(url)
    gj = _gj()
    sites = [s for s in sim.load_cast(gj, max_patients=0).sites if not site or s.code == site]
    if not sites:
        console.print("[red]没有持有网关密钥的定点机构；请先运行 gongji demo，或检查 --site。[/red]")
        raise typer.Exit(1)
    counter = sites[0]
    text = code or typer.prompt("请粘贴医保码文本 Paste the 医保码 text")
    with httpx.Client(base_url=url.rstrip("/"), timeout=60) as http:
        his = HisClient(
            http=http,
            fixmedins_code=counter.code,
            fixmedins_name=counter.name[:50],
            region=counter.region,
            key=counter.keys[0],
            now=gj.clock.now,
        )
        try:
            visit = his_counter.scan_visit(
                his, text, medfee_fen=fen, acct_used_flag=flag, med_type=counter.med_type, ipt_otp_no=his.next_msgid()
            )
        except his_counter.CounterRefused as refused:
            console.print(f"[red]拒绝 {refused.infno}: {refused.err_msg}[/red]")
            raise typer.Exit(1) from None
        except httpx.HTTPError as err:
            console.print(f"[red]{runfile.unreachable_hint(url)}[/red]\n{err}")
            raise typer.Exit(1) from None
    info = visit.setlinfo
    table = Table(title=f"{counter.name} 结算 setl_id {info.get('setl_id')}", show_header=False)
    for label, key in (
        ("医疗费总额", "medfee_sumamt"),
        ("基金支付", "fund_pay_sumamt"),
        ("个人账户", "acct_pay"),
        ("其中共济", "acct_mulaid_pay"),
        ("现金", "psn_cash_pay"),
    ):
        table.add_row(label, str(info.get(key)))
    console.print(f"人员编号 {visit.psn_no}（险种 {visit.insutype}），凭医保码结算：")
    console.print(table)


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="citizen | staff | institution | tax | auditor")],
    display_name: Annotated[str, typer.Option()] = "",
    regions: Annotated[str, typer.Option(help="comma-separated region codes (staff)")] = "",
    person_id: Annotated[int | None, typer.Option()] = None,
    fixmedins_code: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """Create a user."""
    from gongji.domain.errors import GongjiError
    from gongji.services import audit, auth

    gj = _gj()

    def go(uow: Any) -> int:
        user = auth.create_user(
            uow,
            username=username,
            password=password,
            role=auth.Role(role),
            display_name=display_name or username,
            person_id=person_id,
            fixmedins_code=fixmedins_code,
            regions=[r for r in regions.split(",") if r],
        )
        ctx = _system_ctx(gj)
        audit.record(
            uow,
            actor=ctx.principal,
            action="user.create",
            entity="user",
            entity_id=user.id,
            now=gj.clock.now(),
            channel=ctx.channel,
            detail={"role": role},
        )
        uow.commit()
        return user.id

    try:
        user_id = gj.run(go)
    except (GongjiError, ValueError) as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]用户已创建[/green] {username} (id {user_id})")


@users_app.command("list")
def users_list() -> None:
    """List users (no passwords, person ids only)."""
    from sqlalchemy import select

    from gongji.adapters.db.models import AppUser, UserRegion

    gj = _gj()
    table = Table("id", "username", "role", "name", "scope")
    with gj.uow() as uow:
        for user in uow.session.scalars(select(AppUser).order_by(AppUser.id)):
            regions = ",".join(uow.session.scalars(select(UserRegion.region_code).where(UserRegion.user_id == user.id)))
            scope = regions or user.fixmedins_code or (f"person {user.person_id}" if user.person_id else "")
            table.add_row(str(user.id), user.username, user.role, user.display_name, scope)
    console.print(table)


def main() -> None:  # pragma: no cover
    sys.exit(app())
