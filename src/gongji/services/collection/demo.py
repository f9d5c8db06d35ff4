"""The demo's collection units (seed 002 §八1), each person's unit, the year's task, payments on
past days of the collection window, and a township clerk (乡镇医保专干) login.

Units: per district with persons, towns/townships and a street with their villages and
communities (张掖市甘州区 gets its real 乡镇 and 街道 names, the others names drawn from syllable
lists), and one college per city with its schools. Everyone belongs to a unit by household
(college students, psn_type 1404, to a school of their city's college). The task is computed
through ``task.compute``; a share of it pays through the real bank-channel use case on days
spread from the window's start to today, the share drawn per township so some are behind the
target curve. Reproducible: every draw comes from ``Random(seed)``.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from sqlalchemy import func, insert, select

from gongji.adapters.db.models import (
    AppUser,
    CollectionMember,
    CollectionMemberMove,
    CollectionUnit,
    Enrollment,
    HouseholdMember,
    Person,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.bootstrap import Gongji
from gongji.domain.clock import SHANGHAI, FixedClock
from gongji.domain.errors import GongjiError
from gongji.policy.schema import PolicyLookupError
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import Role
from gongji.services.collection import task, units
from gongji.services.registry.persons import Ctx
from gongji.services.resident import channels

GANZHOU = "620702"
GANZHOU_TOWNS = (
    "梁家墩镇", "上秦镇", "大满镇", "沙井镇", "乌江镇", "甘浚镇", "新墩镇", "党寨镇", "碱滩镇",
    "三闸镇", "小满镇", "明永镇", "长安镇", "龙渠乡", "安阳乡", "花寨乡", "靖安乡",
)  # fmt: skip
GANZHOU_STREETS = ("东街街道", "南街街道", "西街街道", "北街街道", "火车站街道")
TOWN_WORDS = (
    "红星", "新华", "长乐", "永丰", "太平", "和平", "安宁", "兴隆", "金川", "白杨", "柳林", "清水",
    "石岗", "青龙", "双塔", "三堡", "龙泉", "花园", "黄河", "东乐", "西峰", "南湖", "北山", "丰乐",
)  # fmt: skip
VILLAGE_HEADS = (
    "王家", "李家", "张家", "刘家", "陈家", "杨家", "赵家", "马家", "东", "西", "南", "北", "上", "下", "新",
    "前", "后",
)  # fmt: skip
VILLAGE_TAILS = ("庄", "湾", "沟", "寨", "堡", "营", "屯", "墩", "坪", "渠", "滩", "河", "泉", "坝", "岔")
STREET_WORDS = ("东街", "西街", "南关", "北关", "城关", "滨河", "新区", "火车站")
COMMUNITY_WORDS = ("幸福", "和谐", "康宁", "绿洲", "文化", "建设", "民主", "团结", "北苑", "南苑", "丹霞", "湿地")
SCHOOLS = ("医学院", "护理学院", "机电工程学院", "经济管理学院", "师范学院", "农学院")
COLLEGE_OF_CITY = {"620700": "河西学院"}
STUDENT = "1404"
CLERK = "clerk1"
DISTRICT_USER = "district1"


def create_collection_demo(
    gj: Gongji, *, province_code: str, password: str, password_hash: str
) -> list[tuple[str, str, str]]:
    """Make the units, members, task and payments; return the clerk logins made."""
    rng = Random(f"gongji-collection:{province_code}")
    now = gj.clock.now()
    with gj.engine.begin() as conn:
        counts: dict[str, int] = dict(
            conn.execute(  # type: ignore[arg-type]
                select(Person.hukou_region, func.count())
                .where(Person.hukou_region.startswith(province_code))
                .group_by(Person.hukou_region)
            ).all()
        )
    if not counts:
        return []
    leaves, colleges = _units(gj, rng, counts, now)
    _members(gj, province_code, leaves, colleges, now)
    _count_earlier_payments(gj)
    return _task_payments_and_clerks(gj, rng, province_code, counts, password, password_hash)


def _units(
    gj: Gongji, rng: Random, counts: dict[str, int], now: datetime
) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Insert the units; return the leaf unit ids per district (villages and communities) and
    the schools per city."""
    table = region_table()
    leaves: dict[str, list[int]] = {}
    colleges: dict[str, list[int]] = {}
    with gj.engine.begin() as conn:

        def add(code: str, name: str, kind: str, parent: int | None, region: str) -> int:
            row = {"code": code, "name": name, "kind": kind, "parent_id": parent, "region_code": region}
            return int(
                conn.execute(
                    insert(CollectionUnit).values(**row, active=True, created_at=now).returning(CollectionUnit.id)
                ).scalar_one()
            )

        for district in sorted(counts):
            r = table.get(district)
            if r is None or r.level != "county":
                continue
            n = counts[district]
            uppers = max(2, min(8, n // 80))
            per = max(2, min(6, n // (uppers * 25)))
            if district == GANZHOU:
                names = [(t, "township" if t.endswith("乡") else "town") for t in GANZHOU_TOWNS[: uppers - 1]]
                names.append((GANZHOU_STREETS[0], "street"))
            else:
                words = rng.sample(TOWN_WORDS, uppers - 1)
                names = [(w + ("乡" if rng.random() < 0.3 else "镇"), "") for w in words]
                names = [(x, "township" if x.endswith("乡") else "town") for x, _ in names]
                names.append((rng.choice(STREET_WORDS) + "街道", "street"))
            ids: list[int] = []
            for i, (name, kind) in enumerate(names, start=1):
                upper_code = f"{district}{i:03d}"
                upper = add(upper_code, name, kind, None, district)
                pool = (
                    [h + t + "村" for h in VILLAGE_HEADS for t in VILLAGE_TAILS]
                    if kind != "street"
                    else [w + "社区" for w in COMMUNITY_WORDS]
                )
                for j, leaf in enumerate(rng.sample(pool, per), start=1):
                    ids.append(
                        add(
                            f"{upper_code}{j:03d}",
                            leaf,
                            "village" if kind != "street" else "community",
                            upper,
                            district,
                        )
                    )
            leaves[district] = ids
        for city in sorted({d[:4] + "00" for d in leaves}):
            district = min(d for d in leaves if d.startswith(city[:4]))
            name = (
                COLLEGE_OF_CITY.get(city) or f"{table.name(city).removesuffix('市').removesuffix('州')[:2]}职业技术学院"
            )
            code = f"{district}{900:03d}"
            upper = add(code, name, "college", None, district)
            colleges[city] = [
                add(f"{code}{j:03d}", s, "school", upper, district)
                for j, s in enumerate(rng.sample(SCHOOLS, 3), start=1)
            ]
    return leaves, colleges


def _members(
    gj: Gongji, province_code: str, leaves: dict[str, list[int]], colleges: dict[str, list[int]], now: datetime
) -> None:
    """Everyone by household (the household id picks the village, so a family stays together);
    college students by school."""
    today = gj.clock.today()
    with gj.engine.begin() as conn:
        students = set(
            conn.scalars(
                select(Enrollment.person_id).where(
                    Enrollment.psn_type == STUDENT, Enrollment.region_code.startswith(province_code)
                )
            )
        )
        rows = conn.execute(
            select(Person.id, Person.hukou_region, HouseholdMember.household_id)
            .join(HouseholdMember, HouseholdMember.person_id == Person.id, isouter=True)
            .where(Person.hukou_region.startswith(province_code))
            .order_by(Person.id)
        ).all()
        members, moves = [], []
        for pid, district, household in rows:
            district = district or ""
            schools = colleges.get(district[:4] + "00")
            if pid in students and schools:
                unit, basis = schools[pid % len(schools)], "school"
            elif leaves.get(district):
                pool = leaves[district]
                unit, basis = pool[zlib.crc32(f"{household or pid}".encode()) % len(pool)], "household"
            else:
                continue
            members.append({"person_id": pid, "unit_id": unit, "basis": basis, "since": today})
            moves.append({"person_id": pid, "from_unit_id": None, "to_unit_id": unit, "reason": "演示数据", "at": now})
            if len(members) >= 5000:
                conn.execute(insert(CollectionMember), members)
                conn.execute(insert(CollectionMemberMove), moves)
                members, moves = [], []
        if members:
            conn.execute(insert(CollectionMember), members)
            conn.execute(insert(CollectionMemberMove), moves)


def _count_earlier_payments(gj: Gongji) -> None:
    """Premiums paid before the members existed (other demo add-ons) into ``collection_paid_day``."""
    from gongji.adapters.db.models import ResidentPremium
    from gongji.domain.clock import local_date
    from gongji.services.collection import counters

    with gj.uow() as uow:
        rows = uow.session.execute(
            select(
                CollectionMember.unit_id,
                CollectionUnit.region_code,
                ResidentPremium.benefit_year,
                ResidentPremium.paid_at,
            )
            .join(ResidentPremium, ResidentPremium.person_id == CollectionMember.person_id)
            .join(CollectionUnit, CollectionUnit.id == CollectionMember.unit_id)
            .where(ResidentPremium.status == "paid", ResidentPremium.insutype == "390")
        ).all()
        for unit_id, region, year, paid_at in rows:
            if paid_at is not None:
                day = local_date(paid_at)
                counters.add_paid(uow, unit_id=unit_id, benefit_year=year, day=day, delta=1)
                counters.add_region_paid(uow, region_code=region, benefit_year=year, day=day, delta=1)
        uow.commit()


def benefit_year_for(gj: Gongji, today: date) -> int | None:
    """The benefit year being collected today, else the last one whose window has passed."""
    collecting = gj.profile.premiums_collecting(today)
    if collecting:
        return collecting[0].benefit_year
    past = [p.benefit_year for p in gj.profile.resident.premium if p.collection_end < today]
    return max(past) if past else None


def _task_payments_and_clerks(
    gj: Gongji, rng: Random, province_code: str, counts: dict[str, int], password: str, password_hash: str
) -> list[tuple[str, str, str]]:
    today = gj.clock.today()
    year = benefit_year_for(gj, today)
    with gj.uow() as uow:
        admin = uow.session.scalar(select(AppUser).where(AppUser.username == "staff_province"))
        principal = auth.principal_of(uow, admin) if admin is not None else None
    if principal is None or year is None:
        return []
    ctx = Ctx(principal=principal, channel=Channel("system"), clock=gj.clock)
    districts = sorted(d for d in counts if region_table().get(d) and region_table().get(d).level == "county")  # type: ignore[union-attr]
    for district in districts:
        _run(gj, lambda uow, d=district: task.compute(uow, ctx, region_code=d, benefit_year=year))
    _payments(gj, rng, principal, year, today)
    return _clerks(gj, districts, password, password_hash)


def _run(gj: Gongji, step: Any) -> Any:
    def go(uow: UnitOfWork) -> Any:
        out = step(uow)
        uow.commit()
        return out

    try:
        return gj.run(go)
    except GongjiError:
        return None


MAX_DEMO_PAYMENTS = 3000


def _payments(gj: Gongji, rng: Random, principal: auth.Principal, year: int, today: date) -> None:
    """Pay a township-dependent share of the task on days from the window's start to today."""
    from gongji.adapters.db.models import CollectionTask

    try:
        standard = gj.profile.premium_for(year)
    except PolicyLookupError:
        return
    start = standard.collection_start or date(standard.collection_end.year, 9, 1)
    last = min(today, standard.collection_end)
    if last < start:
        return
    with gj.engine.connect() as conn:
        rows = conn.execute(
            select(CollectionTask.person_id, CollectionUnit.parent_id, Person.cert_no)
            .join(CollectionUnit, CollectionUnit.id == CollectionTask.unit_id)
            .join(Person, Person.id == CollectionTask.person_id)
            .where(CollectionTask.benefit_year == year, CollectionTask.status == "in")
            .order_by(CollectionTask.person_id)
        ).all()
    zeal: dict[int, float] = defaultdict(lambda: rng.uniform(0.25, 0.95))
    span = (last - start).days
    chosen = [(pid, cert) for pid, upper, cert in rows if rng.random() < zeal[int(upper or 0)]][:MAX_DEMO_PAYMENTS]
    for pid, cert in chosen:
        day = start + timedelta(days=int(span * rng.random() ** 0.8))
        clock = FixedClock(datetime(day.year, day.month, day.day, 10, rng.randint(0, 59), tzinfo=SHANGHAI))
        c = Ctx(principal=principal, channel=Channel("system"), clock=clock)
        _run(
            gj,
            lambda uow, c=c, cert=cert, pid=pid: channels.record_payment(
                uow,
                c,
                gj.profile,
                cert_no=cert,
                benefit_year=year,
                amount_fen=standard.individual_fen,
                channel="bank",
                reference=f"DEMO-COLLECT-{pid}",
            ),
        )


def _clerks(gj: Gongji, districts: list[str], password: str, password_hash: str) -> list[tuple[str, str, str]]:
    """A township clerk in 甘州区 (or the first district with units) and a district clerk."""
    district = GANZHOU if GANZHOU in districts else (districts[0] if districts else None)
    if district is None:
        return []
    name = region_table().name(district)
    made: list[tuple[str, str, str]] = []
    with gj.uow() as uow:
        township = uow.session.scalar(
            select(CollectionUnit)
            .where(CollectionUnit.region_code == district, CollectionUnit.parent_id.is_(None))
            .order_by(CollectionUnit.code)
        )
        if township is None:
            return []
        taken = set(uow.session.scalars(select(AppUser.username)))
        if CLERK not in taken:
            user = auth.create_user(
                uow,
                username=CLERK,
                password=password,
                password_hash=password_hash,
                role=Role.STAFF,
                display_name=f"{township.name}医保专干",
                regions=[district],
            )
            uow.flush()
            units.set_staff_township_row(uow, user_id=user.id, township_id=township.id)
            made.append((Role.STAFF.value, CLERK, f"{name}{township.name}医保专干（只看本乡镇的村）"))
        if DISTRICT_USER not in taken:
            auth.create_user(
                uow,
                username=DISTRICT_USER,
                password=password,
                password_hash=password_hash,
                role=Role.STAFF,
                display_name=f"{name}医保服务中心",
                regions=[district],
            )
            made.append((Role.STAFF.value, DISTRICT_USER, f"{name}医保服务中心（征缴进度、周通报）"))
        uow.commit()
    return made
