"""One database, one province (issue 17): the rules of one province must never be served over
another province's people. The province a database holds is the one its demo was loaded for (the
``demo.generate`` audit row) or, without a demo, the province of its first enrollment's pooling
region; starting with another ``PROVINCE`` is refused with what to do."""

from __future__ import annotations

from sqlalchemy import select

from gongji.adapters.db.models import AuditLog, Enrollment
from gongji.bootstrap import Gongji

PROVINCE_ZH_BY_PREFIX = {"62": "甘肃省", "33": "浙江省", "41": "河南省"}


class ProvinceMismatch(Exception):
    """The database holds another province than the one configured."""


def stored_province(gj: Gongji) -> tuple[str | None, str | None]:
    """(profile code if known, two-digit province prefix) of the people in the database."""
    with gj.engine.connect() as conn:
        demo = conn.scalar(
            select(AuditLog.entity_id).where(AuditLog.action == "demo.generate").order_by(AuditLog.id.desc()).limit(1)
        )
        region = conn.scalar(select(Enrollment.region_code).order_by(Enrollment.id).limit(1))
    code = str(demo) if demo else None
    if code and code in gj.profiles:
        return code, gj.profiles[code].profile.province_code
    return code, region[:2] if region else None


def check(gj: Gongji) -> None:
    """Raise ProvinceMismatch when the configured province is not the database's."""
    code, prefix = stored_province(gj)
    want = gj.profile
    if prefix is None or prefix == want.profile.province_code:
        return
    held = gj.profiles[code].name if code in gj.profiles else PROVINCE_ZH_BY_PREFIX.get(prefix, f"区划{prefix}")
    setting = f"PROVINCE={code}" if code else "该省份的配置"
    raise ProvinceMismatch(
        f"数据库中的参保数据属于{held}，而当前配置的省份是{want.name}（PROVINCE={want.code}）："
        f"不能用{want.name}的政策为{held}的参保人办理。请改用 {setting} 启动，"
        f"或为{want.name}使用另一个数据库（GONGJI_DATABASE_URL=…，或移走 var/gongji.sqlite3 后重新 make run）。\n"
        f"The database holds {held} ({code or prefix}); configured province is {want.code}: refused."
    )
