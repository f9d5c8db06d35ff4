"""``gongji institutions …`` and ``gongji tax-keys …``: the register of designated institutions
and the gateway keys of institutions and the tax bureau (docs/institution-keys.md).

Each command runs the same use case as the staff API (services.institutions), audited with the
channel ``cli``. ``--as USERNAME`` acts as that staff user, within their regions; without it the
operator acts as ``system`` with the scope of the whole province of the deployment.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

institutions_app = typer.Typer(help="定点医药机构与接入密钥 Institutions and gateway keys", no_args_is_help=True)
keys_app = typer.Typer(help="机构接入密钥 Institution gateway keys", no_args_is_help=True)
tax_keys_app = typer.Typer(help="税务接口密钥 Tax-bureau gateway keys", no_args_is_help=True)
institutions_app.add_typer(keys_app, name="keys")
console = Console()
AsUser = Annotated[str | None, typer.Option("--as", help="act as this staff user (their regions)")]


def _run(acting_as: str | None, use_case: Callable[[Any, Any], Any]) -> Any:
    from sqlalchemy import select

    from gongji.adapters.db.models import AppUser
    from gongji.bootstrap import bootstrap
    from gongji.domain.errors import GongjiError
    from gongji.services import auth
    from gongji.services.audit import Channel
    from gongji.services.registry.context import Ctx

    gj = bootstrap()

    def go(uow: Any) -> Any:
        if acting_as:
            user = uow.session.scalar(select(AppUser).where(AppUser.username == acting_as))
            if user is None or user.role != auth.Role.STAFF.value or not user.active:
                raise typer.BadParameter(f"no active staff user {acting_as!r}", param_hint="--as")
            principal = auth.principal_of(uow, user)
        else:
            province = gj.profile.profile.province_code + "0000"
            principal = auth.Principal(
                user_id=0, username="system", role=auth.Role.STAFF, display_name="系统", regions=(province,)
            )
        result = use_case(uow, Ctx(principal=principal, channel=Channel("cli"), clock=gj.clock))
        uow.commit()
        return result

    try:
        return gj.run(go)
    except GongjiError as err:
        console.print(f"[red]{err.code}: {err.message_zh}[/red] ({err.message_en})")
        raise typer.Exit(1) from None


def _show_secret(key: Any, secret: str) -> None:
    console.print(f"[green]密钥已发放 Key issued[/green]  key id: [bold]{key.key_id}[/bold]")
    console.print(f"secret: [bold]{secret}[/bold]")
    console.print("[yellow]密钥只显示这一次，请立即交给对方妥善保存。The secret is shown only this once.[/yellow]")
    console.print("签名方法 How to sign: docs/his-signing.md")


@institutions_app.command("add")
def add(
    code: str,
    name: Annotated[str, typer.Option(help="机构名称")],
    kind: Annotated[str, typer.Option(help="hospital | pharmacy")],
    level: Annotated[int, typer.Option(help="医院 1-3，药店 0")],
    region: Annotated[str, typer.Option(help="统筹区（医保区划）代码")],
    start: Annotated[str, typer.Option(help="协议开始日期 YYYY-MM-DD")],
    end: Annotated[str | None, typer.Option(help="协议结束日期 YYYY-MM-DD")] = None,
    acting_as: AsUser = None,
) -> None:
    """登记定点医药机构 Register a designated institution."""
    from gongji.services.institutions import registry

    try:
        begin, finish = date.fromisoformat(start), date.fromisoformat(end) if end else None
    except ValueError:
        raise typer.BadParameter("dates are YYYY-MM-DD") from None
    view = _run(
        acting_as,
        lambda uow, ctx: registry.view(
            registry.register(
                uow,
                ctx,
                code=code,
                name=name,
                kind=kind,
                level=level,
                region_code=region,
                agreement_start=begin,
                agreement_end=finish,
            )
        ),
    )
    console.print(f"[green]已登记[/green] {view['fixmedins_code']} {view['name']} ({view['status_name']})")


@institutions_app.command("list")
def list_(region: Annotated[str | None, typer.Option()] = None, acting_as: AsUser = None) -> None:
    """列出定点医药机构 List institutions in scope."""
    from gongji.services.institutions import registry

    rows = _run(acting_as, lambda uow, ctx: registry.listing(uow, ctx, region=region, limit=1000))
    table = Table("编码 code", "名称 name", "类别", "等级", "统筹区", "协议期", "状态 status")
    for r in rows:
        term = f"{r['agreement_start'] or ''} ~ {r['agreement_end'] or ''}"
        table.add_row(
            r["fixmedins_code"], r["name"], r["kind_name"], r["level_name"], r["region_code"], term, r["status_name"]
        )
    console.print(table)


def _status(code: str, status: str, reason: str, acting_as: str | None) -> None:
    from gongji.services.institutions import registry

    view = _run(
        acting_as,
        lambda uow, ctx: registry.view(registry.set_status(uow, ctx, code=code, status=status, reason=reason)),
    )
    console.print(f"[green]{view['fixmedins_code']}[/green] → {view['status_name']}")


@institutions_app.command("suspend")
def suspend(code: str, reason: Annotated[str, typer.Option()], acting_as: AsUser = None) -> None:
    """暂停协议: the gateway refuses the institution until resumed."""
    _status(code, "suspended", reason, acting_as)


@institutions_app.command("resume")
def resume(code: str, reason: Annotated[str, typer.Option()], acting_as: AsUser = None) -> None:
    """恢复协议 Lift a suspension."""
    _status(code, "active", reason, acting_as)


@institutions_app.command("end")
def end_(code: str, reason: Annotated[str, typer.Option()], acting_as: AsUser = None) -> None:
    """终止协议 End the agreement (final)."""
    _status(code, "ended", reason, acting_as)


def _list_keys(rows: list[dict[str, Any]]) -> None:
    table = Table("key id", "secret", "状态", "发放时间", "吊销时间", "替换为")
    for k in rows:
        table.add_row(
            k["key_id"], k["secret"], k["status_name"], k["created_at"][:19], (k["revoked_at"] or "")[:19],
            k["replaced_by"] or "",
        )  # fmt: skip
    console.print(table)


@keys_app.command("issue")
def keys_issue(code: str, acting_as: AsUser = None) -> None:
    """发放密钥 Issue a key to an institution (the secret is shown once)."""
    from gongji.services.institutions import keys

    key, secret = _run(acting_as, lambda uow, ctx: keys.issue(uow, ctx, fixmedins_code=code))
    _show_secret(key, secret)


@keys_app.command("list")
def keys_list(code: str, acting_as: AsUser = None) -> None:
    """列出机构密钥（脱敏） An institution's keys, masked."""
    from gongji.services.institutions import keys

    _list_keys(_run(acting_as, lambda uow, ctx: keys.listing(uow, ctx, fixmedins_code=code)))


@keys_app.command("rotate")
def keys_rotate(key_id: str, acting_as: AsUser = None) -> None:
    """轮换密钥: a new key, the old one revoked at once (the new secret is shown once)."""
    from gongji.services.institutions import keys

    key, secret = _run(acting_as, lambda uow, ctx: keys.rotate(uow, ctx, key_id=key_id))
    _show_secret(key, secret)


@keys_app.command("revoke")
def keys_revoke(key_id: str, reason: Annotated[str, typer.Option()], acting_as: AsUser = None) -> None:
    """吊销密钥 Revoke a key: refused at the gateway from now on."""
    from gongji.services.institutions import keys

    _run(acting_as, lambda uow, ctx: keys.revoke(uow, ctx, key_id=key_id, reason=reason))
    console.print(f"[green]已吊销[/green] {key_id}")


@tax_keys_app.command("issue")
def tax_issue(username: str, acting_as: AsUser = None) -> None:
    """为税务接口账号发放密钥 (province staff; the secret is shown once)."""
    from gongji.services.institutions import keys

    key, secret = _run(acting_as, lambda uow, ctx: keys.issue(uow, ctx, tax_username=username))
    _show_secret(key, secret)


@tax_keys_app.command("list")
def tax_list(acting_as: AsUser = None) -> None:
    """税务接口密钥（脱敏） The tax-bureau keys, masked."""
    from gongji.services.institutions import keys

    _list_keys(_run(acting_as, lambda uow, ctx: keys.listing(uow, ctx, tax=True)))


@tax_keys_app.command("rotate")
def tax_rotate(key_id: str, acting_as: AsUser = None) -> None:
    """轮换税务接口密钥."""
    keys_rotate(key_id, acting_as)


@tax_keys_app.command("revoke")
def tax_revoke(key_id: str, reason: Annotated[str, typer.Option()], acting_as: AsUser = None) -> None:
    """吊销税务接口密钥."""
    keys_revoke(key_id, reason, acting_as)
