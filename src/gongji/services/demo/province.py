"""The demo province: a reproducible synthetic population for Gansu, Zhejiang or Henan.

``generate`` fills an empty database with households (户) whose members stand in all eight
close-relative relations to the head (SPEC §4), their enrollments (employees 310 through
employers, retirees 310/12, residents 390 by age), personal accounts with opening balances
posted through balanced ledger transactions, designated hospitals and pharmacies, and demo
users. The same (province, persons, seed) gives the same data: every draw comes from one
``random.Random(seed)`` and ages are taken at the fixed ``REFERENCE_DATE``, never the clock.
Names come from the lists below rather than Faker, so a Faker upgrade cannot change them.

Memory stays bounded for millions of persons: whole households are generated and inserted in
streamed batches (one transaction each, SQLAlchemy Core executemany) with primary keys
assigned here, and uniqueness of identity numbers is tracked in a fixed-size counter array
indexed by (county, birth day, sex), not in a set that grows with the population.
"""

from __future__ import annotations

import json
import time
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from random import Random
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text, update

from gongji.adapters.db.models import (
    ApiKey,
    AppUser,
    Base,
    Employer,
    Enrollment,
    EnrollmentEvent,
    Household,
    HouseholdMember,
    Institution,
    LedgerAccount,
    LedgerPosting,
    LedgerTxn,
    Person,
    PersonalAccount,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.region_data import region_table
from gongji.bootstrap import Gongji
from gongji.domain import ledger as L
from gongji.domain.errors import Conflict, InvalidRequest, UnknownCode
from gongji.domain.ids import make_id_number
from gongji.domain.masking import mask_name
from gongji.domain.relations import RELATION_KINDS
from gongji.services import audit, auth
from gongji.services.audit import Channel
from gongji.services.auth import Role
from gongji.services.collection import demo as demo_collection
from gongji.services.demo import backoffice as demo_backoffice
from gongji.services.demo import family as demo_family
from gongji.services.demo import offsite as demo_offsite
from gongji.services.demo import onething as demo_onething
from gongji.services.demo import premium_recon as demo_premium_recon

DEMO_PASSWORD = "Gongji@2026"
REFERENCE_DATE = date(2026, 1, 1)
"""Ages, birth dates and balances are drawn relative to this day, so output never drifts."""

PROVINCES = {"gansu": "62", "zhejiang": "33", "henan": "41"}


def _table(model: type[Base]) -> Table:
    """The Core table of an ORM class (typed as Table, for bulk inserts and updates)."""
    return cast(Table, model.__table__)


PROVINCE_ZH = {"62": "甘肃省", "33": "浙江省", "41": "河南省"}

HEAD = "self"  # the head's own household_member row; the others carry one of RELATIONS
RELATIONS = RELATION_KINDS

_YEAR = 365.2425
_REF = REFERENCE_DATE.toordinal()
_MIN_BIRTH = date(1921, 1, 1).toordinal()
_MAX_BIRTH = _REF - 1
_NDAYS = _MAX_BIRTH - _MIN_BIRTH + 1
_EMPLOYEE_SCHEME_START = date(1999, 1, 1)  # 城镇职工基本医疗保险 (国发〔1998〕44号)
_RESIDENT_SCHEME_START_YEAR = 2017  # 城乡居民医保 merged in most cities by then
_OTHER_CITY_SHARE = 0.08  # relatives enrolled in another city of the province
_STATUS_ODDS = (("suspended", 0.01), ("interrupted", 0.02), ("terminated", 0.03))

# Surnames with rough relative frequencies (第七次人口普查 order), given-name characters.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏"
    "苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵"
)
_SURNAME_CUM = list(accumulate(1.0 / (i + 8) for i in range(len(_SURNAMES))))
_GIVEN_MALE = "伟强磊军勇杰涛明超斌鹏辉华刚健平俊峰浩宇博文志国建新庆海波亮晨旭东兴永德福成龙飞鑫宏林凯轩睿泽昊然子豪"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华玲红梅婷雪琳颖慧倩佳怡欣悦雨涵思萱梓晴月兰凤燕萍洁琴云莉丹瑶诗嘉宁"
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "173",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
)

_FIRM_WORDS = "恒达华信金诚鑫源宏远瑞丰博亚天成永泰汇通新元正和嘉禾中联立信东方明德安康隆兴"
_TRADES = (
    "科技",
    "建设工程",
    "商贸",
    "食品",
    "机械制造",
    "物流",
    "医药",
    "能源",
    "纺织",
    "电子",
    "农业开发",
    "文化传媒",
    "餐饮管理",
    "物业管理",
    "信息技术",
    "建材",
)
_FIRM_SUFFIXES = ("有限公司", "有限公司", "有限责任公司", "股份有限公司", "集团有限公司")
_PUBLIC_UNITS = (
    "第一中学",
    "第二中学",
    "实验小学",
    "人民医院",
    "供电公司",
    "自来水公司",
    "公交集团",
    "图书馆",
    "职业技术学院",
    "市场监督管理局",
)
_PHARMACY_BRANDS = ("仁和堂", "济民", "康宁", "百姓缘", "同济堂", "惠民", "益康", "德仁堂", "福寿堂", "安泰")
_TOWNS = ("城关镇", "东关街道", "西湖街道", "南山镇", "北关街道", "新华街道", "和平镇", "永安镇", "红星街道", "金山镇")
_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class DemoSummary:
    province: str
    province_code: str  # e.g. 620000
    persons: int
    households: int
    employers: int
    institutions: int
    users: int
    regions: tuple[str, ...]  # the pooling regions (city codes) used
    elapsed_s: float
    usernames: tuple[str, ...]
    logins: tuple[tuple[str, str, str], ...] = field(default=())  # role, username, what


def demo_logins(summary: DemoSummary) -> list[tuple[str, str, str, str]]:
    """(role, username, password, what) for every demo user, to print after loading."""
    return [(role, username, DEMO_PASSWORD, what) for role, username, what in summary.logins]


def demo_logins_from_db(gj: Gongji) -> list[tuple[str, str, str, str]]:
    """The demo users of an already loaded database (their password unless changed since)."""
    with gj.engine.connect() as conn:
        rows = conn.execute(select(AppUser.role, AppUser.username, AppUser.display_name).order_by(AppUser.id)).all()
    demo = [
        r for r in rows if r.username.startswith(("citizen", "staff_", "his_", "auditor1", "tax1", "clerk", "district"))
    ]
    return [
        (r.role, r.username, DEMO_PASSWORD, mask_name(r.display_name) if r.role == "citizen" else r.display_name)
        for r in demo
    ]


def generate(
    gj: Gongji,
    *,
    province: str,
    persons: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
) -> DemoSummary:
    """Load ``persons`` synthetic persons of ``province`` into an empty database."""
    if province not in PROVINCES:
        raise UnknownCode(
            "演示省份应为 gansu、zhejiang 或 henan",
            "Demo province must be gansu, zhejiang or henan",
            field="province",
            value=province,
        )
    if persons < 1 or batch_size < 1:
        raise InvalidRequest("人数和批量须为正数", "persons and batch_size must be positive", field="persons")
    started = time.monotonic()
    with gj.engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(_table(Person))) or 0
    if existing:
        raise Conflict(
            "数据库已有人员数据，演示数据只能载入空库",
            "The database already holds persons; demo data loads only into an empty database",
            persons=int(existing),
        )
    gen = _Generator(gj, PROVINCES[province], seed)
    gen.setup(persons)
    done = 0
    while done < persons:
        done += gen.write_batch(persons - done, batch_size)
        if progress is not None:
            progress(done)
    logins = gen.create_users()
    logins += demo_family.create_family_case(
        gj,
        province=province,
        exclude=set(gen.picks.values()),
        password=DEMO_PASSWORD,
        password_hash=gen.password_hash,
    )
    demo_offsite.create_offsite_cases(gj, province=province, province_code=gen.prefix, exclude=set(gen.picks.values()))
    demo_onething.create_onething_cases(
        gj, province=province, province_code=gen.prefix, exclude=set(gen.picks.values())
    )
    demo_premium_recon.create_premium_payments(gj, province=province, exclude=set(gen.picks.values()))
    demo_backoffice.create_backoffice_cases(
        gj, province=province, province_code=gen.prefix, exclude=set(gen.picks.values())
    )
    logins += demo_collection.create_collection_demo(
        gj, province_code=gen.prefix, password=DEMO_PASSWORD, password_hash=gen.password_hash
    )
    elapsed = time.monotonic() - started
    summary = DemoSummary(
        province=province,
        province_code=gen.prefix + "0000",
        persons=done,
        households=gen.households,
        employers=gen.n_employers,
        institutions=gen.n_institutions,
        users=len(logins),
        regions=tuple(gen.cities),
        elapsed_s=elapsed,
        usernames=tuple(u for _, u, _ in logins),
        logins=tuple(logins),
    )
    with gj.uow() as uow:
        audit.record(
            uow,
            actor=None,
            action="demo.generate",
            entity="demo",
            entity_id=province,
            now=gj.clock.now(),
            channel=Channel("system"),
            detail={
                "province": province,
                "persons": done,
                "seed": seed,
                "households": gen.households,
                "employers": gen.n_employers,
                "institutions": gen.n_institutions,
                "elapsed_s": round(elapsed, 1),
            },
        )
        uow.commit()
    return summary


@dataclass(slots=True)
class _Member:
    relation: str
    sex: str  # "1" male, "2" female
    birth: int  # date ordinal
    surname: str
    city: int  # index into the pooling regions


class _Generator:
    def __init__(self, gj: Gongji, prefix: str, seed: int) -> None:
        self.gj = gj
        self.prefix = prefix
        self.seed = seed
        self.rng = Random(f"gongji-demo:{prefix}:{seed}")
        self.now = gj.clock.now()
        self.password_hash = auth.hash_password(DEMO_PASSWORD)  # once: argon2 is slow on purpose
        self.postgres = gj.engine.dialect.name == "postgresql"
        table = region_table()
        cities = table.in_province(prefix, level="city")
        self.cities = [c.code for c in cities]
        self.city_names = [c.name for c in cities]
        self.counties: list[list[tuple[int, str, str]]] = []  # per city: (global index, code, name)
        n = 0
        for c in cities:
            kids = sorted(table.children(c.code), key=lambda r: r.code) or [c]  # 嘉峪关: no counties
            self.counties.append([(n + i, r.code, r.name) for i, r in enumerate(kids)])
            n += len(kids)
        self.id_counts = bytearray(n * _NDAYS * 2)
        weights = [3.0] + [self.rng.uniform(0.5, 1.5) for _ in self.cities[1:]]
        self.city_cum = list(accumulate(weights))
        self.households = 0
        self.n_employers = 0
        self.n_institutions = 0
        self.employer_ranges: list[tuple[int, int]] = []
        self.first_hospitals: list[tuple[str, str]] = []  # (code, name) per city
        self.first_pharmacy: tuple[str, str] | None = None
        self.picks: dict[str, int] = {}  # citizen1..3 → person id
        self.expected_persons = 0
        self.next_id: dict[str, int] = {}
        self.opening_account = 0

    # --- set-up: ids, employers, institutions, the opening account ------------------------

    def setup(self, persons: int) -> None:
        self.expected_persons = persons
        tables = (
            Household,
            Person,
            Enrollment,
            EnrollmentEvent,
            PersonalAccount,
            LedgerAccount,
            LedgerTxn,
            LedgerPosting,
            Employer,
            Institution,
        )
        with self.gj.engine.begin() as conn:
            self.next_id = {
                _table(t).name: int(conn.scalar(select(func.coalesce(func.max(_table(t).c.id), 0))) or 0) + 1
                for t in tables
            }
            opening = conn.execute(select(LedgerAccount.id).where(LedgerAccount.code == L.OPENING_ACCOUNT)).scalar()
            if opening is None:
                opening = self._take("ledger_account")
                conn.execute(
                    insert(_table(LedgerAccount)),
                    [
                        {
                            "id": opening,
                            "code": L.OPENING_ACCOUNT,
                            "kind": L.AccountKind.EXTERNAL.value,
                            "person_id": None,
                            "region_code": None,
                            "non_negative": False,
                            "opening_fen": 0,
                            "balance_fen": 0,
                            "created_at": self.now,
                        }
                    ],
                )
            self.opening_account = int(opening)
            self._employers(conn)
            self._institutions(conn)
            self._sync_sequences(conn)

    def _take(self, table: str, n: int = 1) -> int:
        first = self.next_id[table]
        self.next_id[table] = first + n
        return first

    def _employers(self, conn: Connection) -> None:
        rng = self.rng
        rows: list[dict[str, Any]] = []
        org_base = rng.randrange(10_000_000, 50_000_000)
        total_weight = self.city_cum[-1]
        weights = [b - a for a, b in zip([0.0, *self.city_cum], self.city_cum, strict=False)]
        for city, code in enumerate(self.cities):
            count = 4 + int(weights[city] / total_weight * self.expected_persons / 150)
            first = self.next_id["employer"]
            for _ in range(count):
                county = rng.choice(self.counties[city])[1]
                org = f"{org_base + len(rows):08d}"
                org += _org_check(org)
                body = "91" + county + org  # 9 工商, 1 企业; 17 characters
                short = self.city_names[city].removesuffix("市")[:4]
                if rng.random() < 0.1:
                    name = f"{self.city_names[city]}{rng.choice(_PUBLIC_UNITS)}"
                    body = "12" + county + org  # 1 机构编制, 2 事业单位
                else:
                    firm = "".join(rng.sample(_FIRM_WORDS, 2))
                    name = f"{short}{firm}{rng.choice(_TRADES)}{rng.choice(_FIRM_SUFFIXES)}"
                rows.append(
                    {
                        "id": self._take("employer"),
                        "code": body + _credit_check(body),
                        "name": name,
                        "region_code": code,
                    }
                )
            self.employer_ranges.append((first, self.next_id["employer"]))
        conn.execute(insert(_table(Employer)), rows)
        self.n_employers = len(rows)

    def _institutions(self, conn: Connection) -> None:
        rng = self.rng
        rows: list[dict[str, Any]] = []
        seqs: dict[str, int] = {}
        agreement_start = date(self.gj.clock.today().year - 2, 1, 1)  # 定点协议 in force since

        def add(kind: str, level: int, county: str, name: str, city_code: str) -> str:
            letter = "H" if kind == "hospital" else "P"
            seqs[letter + county] = seqs.get(letter + county, 0) + 1
            fixmedins = f"{letter}{county}{seqs[letter + county]:05d}"
            rows.append(
                {
                    "id": self._take("institution"),
                    "fixmedins_code": fixmedins,
                    "name": name,
                    "kind": kind,
                    "level": level,
                    "region_code": city_code,
                    "status": "active",
                    "agreement_start": agreement_start,
                    "agreement_end": None,
                }
            )
            return fixmedins

        for city, code in enumerate(self.cities):
            cname = self.city_names[city]
            counties = self.counties[city]
            capital = city == 0
            numbers = "一二三四五"
            first: tuple[str, str] | None = None
            for i in range(3 if capital else 1):
                name = f"{cname}第{numbers[i]}人民医院"
                fx = add("hospital", 3, counties[0][1], name, code)
                first = first or (fx, name)
            add("hospital", 3, counties[0][1], f"{cname}中医医院", code)
            if capital:
                add("hospital", 3, counties[-1][1], f"{cname}妇幼保健院", code)
            for _, county, county_name in counties[: 4 if capital else 3]:
                label = county_name if county_name.endswith(("县", "市")) else cname + county_name
                name = f"{label}人民医院" if county != code else f"{cname}第{numbers[3]}人民医院"
                add("hospital", 2, county, name, code)
            for k in range(6 if capital else 4):
                _, county, county_name = counties[k % len(counties)]
                town = _TOWNS[(k + city) % len(_TOWNS)]
                kind_name = "卫生院" if town.endswith("镇") else "社区卫生服务中心"
                label = county_name if county_name.endswith(("县", "市")) or county == code else cname + county_name
                add("hospital", 1, county, f"{label}{town}{kind_name}", code)
            for k in range(8 if capital else 5):
                _, county, county_name = counties[rng.randrange(len(counties))]
                brand = _PHARMACY_BRANDS[(k + 3 * city) % len(_PHARMACY_BRANDS)]
                fx = add("pharmacy", 0, county, f"{brand}大药房（{county_name}第{k + 1}分店）", code)
                if capital and self.first_pharmacy is None:
                    self.first_pharmacy = (fx, rows[-1]["name"])
            assert first is not None
            self.first_hospitals.append(first)
        conn.execute(insert(_table(Institution)), rows)
        self.n_institutions = len(rows)

    # --- persons ---------------------------------------------------------------------------

    def _years(self, lo: float, hi: float) -> int:
        return int(self.rng.uniform(lo, hi) * _YEAR)

    def _city(self) -> int:
        return bisect(self.city_cum, self.rng.random() * self.city_cum[-1])

    def _surname(self) -> str:
        return _SURNAMES[bisect(_SURNAME_CUM, self.rng.random() * _SURNAME_CUM[-1])]

    def _household(self, forced: bool) -> list[_Member]:
        """One household: the head first, then relatives by their relation to the head."""
        rng = self.rng
        r = rng.random()
        template = "full" if forced or r < 0.07 else "young" if r < 0.45 else "elder" if r < 0.77 else "small"
        head_age = {"full": (46, 50), "young": (23, 42), "elder": (50, 78), "small": (18, 86)}[template]
        head_sex = "1" if forced or rng.random() < 0.7 else "2"
        head_birth = _REF - self._years(*head_age)
        city = self._city()
        surname = self._surname()
        out = [_Member(HEAD, head_sex, head_birth, surname, city)]

        def add(relation: str, sex: str, birth: int, surname: str) -> _Member | None:
            if birth < _MIN_BIRTH or birth > _MAX_BIRTH:
                return None  # not alive (older than ~105) or not yet born
            if not forced and _REF - birth > 90 * _YEAR and rng.random() < 0.4:
                return None
            member = _Member(relation, sex, birth, surname, city)
            out.append(member)
            return member

        full = template == "full"
        gap = (20, 23) if full else (20, 34)
        # The head's parents and grandparents exist in the model even when not in the household,
        # so that siblings and grandparents keep plausible ages (≥ 20 years between generations).
        mother = head_birth - self._years(*gap)
        father = mother - self._years(0, 3 if full else 6)
        mother_surname = self._surname()

        spouse_p = {"full": 1.0, "young": 0.85, "elder": 0.8, "small": 0.45}[template]
        spouse = None
        if _REF - head_birth >= 22 * _YEAR and rng.random() < spouse_p:
            shift = self._years(-2, 2) if full else self._years(-2, 6)
            s_birth = head_birth + shift if head_sex == "1" else head_birth - shift
            if _REF - s_birth >= 22 * _YEAR:
                spouse = add("spouse", "2" if head_sex == "1" else "1", s_birth, self._surname())
        child_surname = spouse.surname if (spouse and head_sex == "2") else surname
        youngest_parent = max(head_birth, spouse.birth if spouse else head_birth)

        n_children = {
            "full": 2,
            "young": rng.choices((0, 1, 2, 3), (20, 45, 30, 5))[0],
            "elder": rng.choices((1, 2, 3), (30, 45, 25))[0],
            "small": 0,
        }[template]
        children: list[_Member] = []
        # Brothers and sisters are born at least 15 months apart; full: every child ≥ 21.5
        # years old, so that each can have a child of their own.
        room = (_REF - youngest_parent) / _YEAR - 21.5
        birth = youngest_parent + (self._years(20, min(24.0, room - 2.5)) if full else self._years(20, 34))
        for k in range(n_children):
            sex = ("1", "2")[k % 2] if full else rng.choice("12")
            child = add("child", sex, birth, child_surname)
            if child:
                children.append(child)
            birth += self._years(1.3, 2.5 if full else 6)
        if template in ("full", "elder"):
            for child in children:
                age_years = (_REF - child.birth) / _YEAR
                if age_years < 20.5 or not (full or rng.random() < 0.55):
                    continue
                relation = "grandchild" if child.sex == "1" else "maternal_grandchild"
                g_surname = child.surname if child.sex == "1" else self._surname()
                birth = child.birth + self._years(20, age_years - 0.01)
                for _ in range(1 if full else rng.choice((1, 1, 2))):
                    add(relation, rng.choice("12"), birth, g_surname)
                    birth += self._years(1.3, 5)

        parent_p = {"full": 1.0, "young": 0.5, "elder": 0.2, "small": 0.15}[template]
        if rng.random() < parent_p:
            add("parent", "1", father, surname)
        if rng.random() < parent_p:
            add("parent", "2", mother, mother_surname)
        n_siblings = (
            1
            if full
            else rng.choices((0, 1, 2), {"young": (55, 33, 12), "elder": (85, 12, 3), "small": (90, 10, 0)}[template])[
                0
            ]
        )
        generation = [head_birth]
        for _ in range(n_siblings):
            for _attempt in range(4):
                birth = head_birth + self._years(1.3, 8) * rng.choice((-1, 1))
                birth = min(max(birth, mother + int(20 * _YEAR)), mother + int(45 * _YEAR))
                if all(abs(birth - b) >= 1.25 * _YEAR for b in generation):
                    generation.append(birth)
                    add("sibling", rng.choice("12"), birth, surname)
                    break
        grand_p = {"full": 1.0, "young": 0.2, "elder": 0.0, "small": 0.0}[template]
        for side, parent_birth, side_surname in (
            ("paternal_grandparent", father, surname),
            ("maternal_grandparent", mother, mother_surname),
        ):
            g_mother = parent_birth - self._years(*gap)
            g_father = g_mother - self._years(0, 4)
            if rng.random() < grand_p:
                add(side, "1", g_father, side_surname)
            if rng.random() < grand_p:
                add(side, "2", g_mother, self._surname())

        for m in out[1:]:
            if not forced and rng.random() < _OTHER_CITY_SHARE and len(self.cities) > 1:
                m.city = (city + 1 + rng.randrange(len(self.cities) - 1)) % len(self.cities)
        return out

    def _name(self, surname: str, sex: str) -> str:
        pool = _GIVEN_MALE if sex == "1" else _GIVEN_FEMALE
        rng = self.rng
        if rng.random() < 0.25:
            return surname + rng.choice(pool)
        return surname + rng.choice(pool) + rng.choice(pool)

    def _id_number(self, city: int, birth: int, sex: str) -> tuple[str, str]:
        """A unique identity number: county of ``city``, ``birth``, sequence odd for men."""
        counties = self.counties[city]
        start = self.rng.randrange(len(counties))
        day = birth - _MIN_BIRTH
        bit = 0 if sex == "1" else 1
        for k in range(len(counties)):
            index, code, _ = counties[(start + k) % len(counties)]
            cell = (index * _NDAYS + day) * 2 + bit
            used = self.id_counts[cell]
            if used < 255:
                self.id_counts[cell] = used + 1
                # A per-cell rotation spreads sequences over 1..998 (a bijection for used < 499).
                slot = (used + cell * 2654435761) % 499
                return make_id_number(code, date.fromordinal(birth), 2 * slot + (1 if sex == "1" else 2)), code
        raise RuntimeError("identity sequence space exhausted for one birth day")  # ~never

    def _enrollment_kind(self, m: _Member, forced_employee: bool) -> tuple[str, str]:
        rng = self.rng
        age = (_REF - m.birth) / _YEAR
        retire_age = 60 if m.sex == "1" else 55
        if forced_employee:
            return "310", "11"
        if age < 1:
            return "390", "1401"
        if age < 7:
            return "390", "1402"
        if age < 18:
            return "390", "1405" if rng.random() < 0.03 else "1403"
        if age < 23 and rng.random() < 0.5:
            return "390", "1404"
        if age < retire_age:
            return ("310", "11") if rng.random() < 0.68 else ("390", "15")
        return ("310", "12") if rng.random() < 0.42 else ("390", "16")

    def _start_date(self, insutype: str, psn_type: str, birth: int) -> int:
        rng = self.rng
        birth_year = date.fromordinal(birth).year
        if insutype == "390":
            if psn_type == "1401":
                return birth
            joined = date(rng.randint(_RESIDENT_SCHEME_START_YEAR, 2025), 1, 1).toordinal()
            return max(birth, joined)
        earliest = birth_year + (22 if psn_type == "12" else rng.randint(19, 30))
        if psn_type == "12" or earliest <= _EMPLOYEE_SCHEME_START.year:
            year = max(earliest, _EMPLOYEE_SCHEME_START.year)
        else:
            year = rng.randint(min(earliest, 2025), 2025)
        return date(min(year, 2025), rng.randint(1, 12), 1).toordinal()

    def _balances(self, psn_type: str, start: int) -> tuple[int, int]:
        """(current-year, past-years) opening balances in fen."""
        rng = self.rng
        if rng.random() < 0.03:
            return 0, 0
        years = (_REF - start) / _YEAR
        if psn_type == "12":
            monthly = rng.randint(80, 160) * 100  # 退休人员定额划入
            return monthly * rng.randint(1, 11), monthly * rng.randint(0, 60)
        monthly = rng.randint(4_000, 15_000) * 2  # 2% of a 4,000–15,000 yuan base, in fen
        past_months = rng.randint(0, min(int(years * 12), 120)) if years >= 1 else 0
        return monthly * rng.randint(1, 11), monthly * past_months // 2

    # --- one batch -------------------------------------------------------------------------

    def write_batch(self, remaining: int, batch_size: int) -> int:
        """Generate whole households until about ``batch_size`` persons; insert them; return n."""
        rng = self.rng
        rows: dict[str, list[dict[str, Any]]] = {
            t: []
            for t in (
                "household",
                "person",
                "household_member",
                "enrollment",
                "enrollment_event",
                "personal_account",
                "ledger_account",
                "ledger_txn",
                "ledger_posting",
            )
        }
        openings: list[tuple[int, int, int, str]] = []  # person id, current, past, region
        n = 0
        now = self.now
        while n < min(batch_size, remaining):
            forced = self.households == 0
            members = self._household(forced)[: remaining - n]
            household_id = self._take("household")
            self.households += 1
            rows["household"].append({"id": household_id, "region_code": self.cities[members[0].city]})
            for m in members:
                person_id = self._take("person")
                cert_no, county = self._id_number(m.city, m.birth, m.sex)
                age = (_REF - m.birth) / _YEAR
                phone = f"{rng.choice(_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}" if age >= 16 else None
                rows["person"].append(
                    {
                        "id": person_id,
                        "cert_type": "01",
                        "cert_no": cert_no,
                        "name": self._name(m.surname, m.sex),
                        "sex": m.sex,
                        "birth_date": date.fromordinal(m.birth),
                        "phone": phone,
                        "hukou_region": county,
                        # 社会保障卡 (issue 13 §1, 03 at the counter): everyone but babies under one
                        # year; a 9-character number unique by person id (letter + 8 digits)
                        "ssc_no": f"D{person_id:08d}" if age >= 1 else None,
                        "created_at": now,
                    }
                )
                rows["household_member"].append(
                    {"household_id": household_id, "person_id": person_id, "relation": m.relation}
                )
                head_forced = forced and m.relation == HEAD
                insutype, psn_type = self._enrollment_kind(m, head_forced)
                region = self.cities[m.city]
                start = self._start_date(insutype, psn_type, m.birth)
                status, changed = "normal", None
                if not forced:
                    r = rng.random()
                    for candidate, upto in _STATUS_ODDS:
                        if r < upto:
                            status, changed = candidate, rng.randint(start, _REF - 1)
                            break
                employer_id = None
                if psn_type == "11":
                    lo, hi = self.employer_ranges[m.city]
                    employer_id = rng.randrange(lo, hi)
                enrollment_id = self._take("enrollment")
                rows["enrollment"].append(
                    {
                        "id": enrollment_id,
                        "person_id": person_id,
                        "insutype": insutype,
                        "region_code": region,
                        "status": status,
                        "psn_type": psn_type,
                        "employer_id": employer_id,
                        "start_date": date.fromordinal(start),
                        "end_date": date.fromordinal(changed) if status == "terminated" and changed else None,
                    }
                )
                rows["enrollment_event"].append(self._event(enrollment_id, "enroll", None, "normal", region, start))
                if changed is not None:
                    action = {"suspended": "suspend", "interrupted": "interrupt", "terminated": "end"}[status]
                    rows["enrollment_event"].append(
                        self._event(enrollment_id, action, "normal", status, region, changed)
                    )
                if insutype == "310":
                    current, past = self._balances(psn_type, start)
                    if head_forced and current == 0:
                        current = 12_345
                    rows["personal_account"].append(
                        {
                            "id": self._take("personal_account"),
                            "person_id": person_id,
                            "status": "normal",
                            "opened_on": date.fromordinal(start),
                        }
                    )
                    openings.append((person_id, current, past, region))
                self._pick(person_id, m, insutype, psn_type, status, head_forced)
            n += len(members)

        with self.gj.engine.begin() as conn:
            self._ledger_rows(conn, openings, rows)
            for name, table_rows in rows.items():
                if table_rows:
                    conn.execute(insert(_TABLES[name]), table_rows)
            self._sync_sequences(conn)
        return n

    def _event(
        self, enrollment_id: int, action: str, from_status: str | None, to_status: str, region: str, effective: int
    ) -> dict[str, Any]:
        return {
            "id": self._take("enrollment_event"),
            "enrollment_id": enrollment_id,
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "from_region": None,
            "to_region": region,
            "effective_date": date.fromordinal(effective),
            "reason": "演示数据" if action == "enroll" else None,
            "user_id": None,
            "at": self.now,
        }

    def _pick(self, person_id: int, m: _Member, insutype: str, psn_type: str, status: str, head_forced: bool) -> None:
        if head_forced:
            self.picks["citizen1"] = person_id
        elif status != "normal":
            return
        elif psn_type == "12":
            self.picks.setdefault("citizen2", person_id)
        elif insutype == "390" and psn_type in ("15", "16"):
            self.picks.setdefault("citizen3", person_id)

    def _ledger_rows(
        self, conn: Connection, openings: list[tuple[int, int, int, str]], rows: dict[str, list[dict[str, Any]]]
    ) -> None:
        """Two personal ledger accounts per account holder, funded from external:opening."""
        opening_balance = int(
            conn.scalar(
                select(LedgerAccount.balance_fen).where(LedgerAccount.id == self.opening_account).with_for_update()
            )
            or 0
        )
        running = opening_balance
        now_iso = self.now.isoformat()
        for person_id, current, past, region in openings:
            codes = (L.personal_current(person_id), L.personal_past(person_id))
            account_ids = []
            for code, amount in zip(codes, (current, past), strict=True):
                account_id = self._take("ledger_account")
                account_ids.append(account_id)
                rows["ledger_account"].append(
                    {
                        "id": account_id,
                        "code": code,
                        "kind": L.AccountKind.PERSONAL.value,
                        "person_id": person_id,
                        "region_code": region,
                        "non_negative": True,
                        "opening_fen": 0,
                        "balance_fen": amount,
                        "created_at": self.now,
                    }
                )
            total = current + past
            if total == 0:
                continue
            txn_id = self._take("ledger_txn")
            key = f"demo:{self.seed}:open:{person_id}"
            running -= total
            lines = [{"account": L.OPENING_ACCOUNT, "amount_fen": -total, "balance_fen": running}]
            rows["ledger_posting"].append(
                {
                    "id": self._take("ledger_posting"),
                    "txn_id": txn_id,
                    "account_id": self.opening_account,
                    "amount_fen": -total,
                    "balance_after_fen": running,
                }
            )
            for code, account_id, amount in zip(codes, account_ids, (current, past), strict=True):
                if amount:
                    rows["ledger_posting"].append(
                        {
                            "id": self._take("ledger_posting"),
                            "txn_id": txn_id,
                            "account_id": account_id,
                            "amount_fen": amount,
                            "balance_after_fen": amount,
                        }
                    )
                    lines.append({"account": code, "amount_fen": amount, "balance_fen": amount})
            request = {"op": "demo_opening", "person_id": person_id, "current_fen": current, "past_fen": past}
            body = {
                "txn_id": txn_id,
                "idempotency_key": key,
                "kind": "demo.opening",
                "narration": "演示数据期初余额",
                "created_at": now_iso,
                "postings": lines,
                "person_id": person_id,
            }
            rows["ledger_txn"].append(
                {
                    "id": txn_id,
                    "idempotency_key": key,
                    "request_hash": L.request_hash(request),
                    "kind": "demo.opening",
                    "narration": "演示数据期初余额",
                    "reverses_txn_id": None,
                    "user_id": None,
                    "created_at": self.now,
                    "result_json": json.dumps(body, ensure_ascii=False, sort_keys=True),
                }
            )
        if running != opening_balance:
            conn.execute(
                update(_table(LedgerAccount))
                .where(LedgerAccount.id == self.opening_account)
                .values(balance_fen=running)
            )

    def _sync_sequences(self, conn: Connection) -> None:
        """PostgreSQL: move each id sequence past the ids assigned here."""
        if not self.postgres:
            return
        for name, next_id in self.next_id.items():
            if next_id > 1:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :v)"), {"v": next_id - 1})

    # --- users -----------------------------------------------------------------------------

    def create_users(self) -> list[tuple[str, str, str]]:
        """The demo users; the password is hashed once (argon2 is slow on purpose)."""
        password_hash = self.password_hash
        province_zh = PROVINCE_ZH[self.prefix]
        wanted: list[tuple[str, Role, str, dict[str, Any]]] = []
        what = {
            "citizen1": "在职职工，个人账户有余额，有家庭成员（共济授权人）",
            "citizen2": "退休职工",
            "citizen3": "城乡居民，无个人账户",
        }
        with self.gj.engine.connect() as conn:
            names = (
                dict(conn.execute(select(Person.id, Person.name).where(Person.id.in_(list(self.picks.values())))).all())
                if self.picks
                else {}
            )
        for username in ("citizen1", "citizen2", "citizen3"):
            if username in self.picks:
                person_id = self.picks[username]
                wanted.append(
                    (username, Role.CITIZEN, what[username], {"display_name": names[person_id], "person_id": person_id})
                )
        wanted.append(
            (
                "staff_province",
                Role.STAFF,
                f"{province_zh}医保经办（全省）",
                {"display_name": f"{province_zh}经办员", "regions": [self.prefix + "0000"]},
            )
        )
        # a second clerk for the same regions: whoever enters a form, roster, refund or manual
        # income cannot approve it (maker–checker, E_FOUR_EYES), so the demo needs a checker
        wanted.append(
            (
                "staff_province2",
                Role.STAFF,
                f"{province_zh}医保经办复核（全省）",
                {"display_name": f"{province_zh}复核员", "regions": [self.prefix + "0000"]},
            )
        )
        for code, name in zip(self.cities, self.city_names, strict=True):
            wanted.append(
                (f"staff_{code}", Role.STAFF, f"{name}医保经办", {"display_name": f"{name}经办员", "regions": [code]})
            )
        wanted.append(("auditor1", Role.AUDITOR, "审计（只读审计日志）", {"display_name": "审计员"}))
        wanted.append(("tax1", Role.TAX, "税务接口", {"display_name": "税务局接口"}))
        for code, name in self.first_hospitals:
            wanted.append(
                (f"his_{code}", Role.INSTITUTION, f"定点医院 {name}", {"display_name": name, "fixmedins_code": code})
            )
        if self.first_pharmacy is not None:
            code, name = self.first_pharmacy
            wanted.append(
                (
                    f"his_{code}",
                    Role.INSTITUTION,
                    f"定点药店 {name}",
                    {"display_name": name[:50], "fixmedins_code": code},
                )
            )

        created: list[tuple[str, str, str]] = []
        with self.gj.uow() as uow:
            taken = set(uow.session.scalars(select(AppUser.username)))
            for username, role, description, extra in wanted:
                if username in taken:
                    continue
                auth.create_user(
                    uow, username=username, password=DEMO_PASSWORD, role=role, password_hash=password_hash, **extra
                )
                created.append((role.value, username, description))
            uow.flush()
            self._issue_demo_keys(uow)
            uow.commit()
        return created

    def _issue_demo_keys(self, uow: UnitOfWork) -> None:
        """Each demo institution with a system user gets a gateway key, issued by the province
        clerk through the same use case as staff (audited); ``gongji his`` re-derives the secrets."""
        from gongji.services.institutions import keys
        from gongji.services.registry.context import Ctx

        clerk = uow.session.scalar(select(AppUser).where(AppUser.username == "staff_province"))
        if clerk is None:
            return
        ctx = Ctx(principal=auth.principal_of(uow, clerk), channel=Channel("system"), clock=self.gj.clock)
        have = set(uow.session.scalars(select(ApiKey.fixmedins_code).where(ApiKey.status == "active")))
        codes = uow.session.scalars(
            select(AppUser.fixmedins_code).where(AppUser.role == Role.INSTITUTION.value).order_by(AppUser.id)
        )
        for code in codes:
            if code and code not in have:
                keys.issue(uow, ctx, fixmedins_code=code)
                have.add(code)


def _credit_check(body17: str) -> str:
    """GB 32100 check character of a unified social credit code (统一社会信用代码)."""
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(body17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_CODE_CHARS[(31 - total % 31) % 31]


def _org_check(body8: str) -> str:
    """GB 11714 check character of an organization code (组织机构代码)."""
    value = 11 - sum(int(c) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(value, str(value))


_TABLES: dict[str, Table] = {
    "household": _table(Household),
    "person": _table(Person),
    "household_member": _table(HouseholdMember),
    "enrollment": _table(Enrollment),
    "enrollment_event": _table(EnrollmentEvent),
    "personal_account": _table(PersonalAccount),
    "ledger_account": _table(LedgerAccount),
    "ledger_txn": _table(LedgerTxn),
    "ledger_posting": _table(LedgerPosting),
}
