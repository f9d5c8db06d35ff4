"""The hospital simulator behind ``gongji his``: designated institutions of the demo settle
outpatient visits of demo persons through the national 两定 interface over HTTP.

Each round is one visit at one institution: 1101 person info → 2201 register → 2206
pre-settle → 2207 settle (the 2206 fee parts sent back, ``parts_of``), and about one
settlement in ten is then cancelled with 2208. The cast (institutions with their gateway keys,
persons with a normal enrollment, the relatives of active family bindings) is read straight
from the database: this is a local development tool, run beside the server with the same
``GONGJI_KEY_PEPPER``, which re-derives each demo key's secret (services.institutions.keys); a
real HIS holds the secret it was shown once. The plan of rounds (who, where, how
much, which ``acct_used_flag``, URL style and key) is drawn up front from ``seed``, so the same
seed on the same demo database plays the same rounds whatever the concurrency.

An ``infcode -1`` answer is counted by its message and the round ends there; an HTTP or
transport error is counted too. Nothing a server answers stops the run.

``run_simulation`` is the core; the CLI, the test (FastAPI's TestClient, in process) and
bench/settlement_bench.py drive it with their own HTTP transport.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import httpx2 as httpx
from rich.table import Table
from sqlalchemy import select

from gongji.adapters.db.models import ApiKey, Enrollment, FamilyBinding, Institution, Person
from gongji.adapters.nhsa.client import HisClient, Key, UrlStyle, parts_of
from gongji.bootstrap import Gongji
from gongji.services.institutions import keys as key_service

Style = Literal["body", "path", "service", "mixed"]
STYLES: tuple[UrlStyle, ...] = ("body", "path", "service")
INSUTYPES = ("310", "390")
FLAG_WEIGHTS = {"0": 1, "1": 4, "2": 4}  # acct_used_flag: mostly the personal account
CANCEL_SHARE = 0.10
FEE_RANGE_FEN = (5_00, 800_00)  # 5.00 – 800.00 yuan, uniform
RELATIVE_SHARE = 0.10  # rounds given to relatives of active family bindings, when there are any


# --- the cast ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """A designated institution that holds at least one active gateway key."""

    code: str
    name: str
    kind: str  # hospital / pharmacy
    level: int
    region: str
    keys: tuple[Key, ...]

    @property
    def med_type(self) -> str:
        return "41" if self.kind == "pharmacy" else "11"


@dataclass(frozen=True)
class Patient:
    person_id: int
    certno: str
    name: str
    insutype: str


@dataclass(frozen=True)
class Cast:
    sites: tuple[Site, ...]
    patients: tuple[Patient, ...]
    relatives: tuple[Patient, ...] = ()  # relatives of active family bindings (flag 2 pays from family funds)


def load_cast(gj: Gongji, *, max_patients: int = 5_000) -> Cast:
    """Institutions with active keys, and persons with a normal 310/390 enrollment (the first
    ``max_patients`` by enrollment id), read directly from the database."""
    with gj.uow() as uow:
        s = uow.session
        keys: dict[str, list[Key]] = {}
        for api_key in s.scalars(
            select(ApiKey)
            .where(ApiKey.status == "active", ApiKey.holder == key_service.INSTITUTION)
            .order_by(ApiKey.id)
        ):
            secret = key_service.secret_of(api_key)  # re-derived: needs this server's key pepper
            if secret is not None and api_key.fixmedins_code:
                keys.setdefault(api_key.fixmedins_code, []).append(Key(key_id=api_key.key_id, secret=secret))
        sites = tuple(
            Site(
                code=inst.fixmedins_code,
                name=inst.name,
                kind=inst.kind,
                level=inst.level,
                region=inst.region_code,
                keys=tuple(keys[inst.fixmedins_code]),
            )
            for inst in s.scalars(
                select(Institution)
                .where(Institution.fixmedins_code.in_(list(keys)), Institution.status == "active")
                .order_by(Institution.id)
            )
        )
        base = (
            select(Person.id, Person.cert_no, Person.name, Enrollment.insutype)
            .join(Enrollment, Enrollment.person_id == Person.id)
            .where(Enrollment.status == "normal", Enrollment.insutype.in_(INSUTYPES))
        )
        patients = tuple(Patient(*row) for row in s.execute(base.order_by(Enrollment.id).limit(max_patients)))
        bound = select(FamilyBinding.relative_id).where(FamilyBinding.status == "active")
        relatives = tuple(
            Patient(*row) for row in s.execute(base.where(Person.id.in_(bound)).order_by(Enrollment.id).limit(1_000))
        )
    return Cast(sites=sites, patients=patients, relatives=relatives)


# --- the plan ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Round:
    index: int
    site: Site
    key: Key
    patient: Patient
    medfee_fen: int
    acct_used_flag: str
    style: UrlStyle
    cancel: bool


def plan(cast: Cast, *, count: int, style: Style, seed: int) -> list[Round]:
    if not cast.sites:
        raise ValueError(
            "没有持有网关密钥的定点机构；请先载入演示数据 (gongji demo)。No institution with a gateway key"
        )
    if not cast.patients and not cast.relatives:
        raise ValueError("没有正常参保的人员；请先载入演示数据 (gongji demo)。No insured persons")
    rng = random.Random(f"gongji-his:{seed}")
    flags, weights = list(FLAG_WEIGHTS), list(FLAG_WEIGHTS.values())
    rounds = []
    for i in range(count):
        site = rng.choice(cast.sites)
        pool = (
            cast.relatives if cast.relatives and (rng.random() < RELATIVE_SHARE or not cast.patients) else cast.patients
        )
        rounds.append(
            Round(
                index=i,
                site=site,
                key=rng.choice(site.keys),
                patient=rng.choice(pool),
                medfee_fen=rng.randint(*FEE_RANGE_FEN),
                acct_used_flag=rng.choices(flags, weights)[0],
                style=rng.choice(STYLES) if style == "mixed" else style,
                cancel=rng.random() < CANCEL_SHARE,
            )
        )
    return rounds


# --- results -----------------------------------------------------------------------------------


def fen(value: Any) -> int:
    """An interface amount (number or decimal string, yuan) in fen."""
    try:
        return int((Decimal(str(value)) * 100).to_integral_value())
    except (InvalidOperation, ValueError):
        return 0


@dataclass(frozen=True)
class Settled:
    """The amounts of one 2207 answer, in fen, as the centre sent them."""

    setl_id: str
    mdtrt_id: str
    psn_no: str
    site: str
    acct_used_flag: str
    medfee_fen: int
    fund_fen: int  # fund_pay_sumamt
    psn_part_fen: int
    hosp_part_fen: int
    acct_fen: int  # acct_pay: own account + family funds
    family_fen: int  # acct_mulaid_pay
    cash_fen: int  # psn_cash_pay

    @classmethod
    def of(cls, info: dict[str, Any], rnd: Round) -> Settled:
        return cls(
            setl_id=str(info.get("setl_id")),
            mdtrt_id=str(info.get("mdtrt_id")),
            psn_no=str(info.get("psn_no")),
            site=rnd.site.code,
            acct_used_flag=rnd.acct_used_flag,
            medfee_fen=fen(info.get("medfee_sumamt")),
            fund_fen=fen(info.get("fund_pay_sumamt")),
            psn_part_fen=fen(info.get("psn_part_amt")),
            hosp_part_fen=fen(info.get("hosp_part_amt")),
            acct_fen=fen(info.get("acct_pay")),
            family_fen=fen(info.get("acct_mulaid_pay")),
            cash_fen=fen(info.get("psn_cash_pay")),
        )

    @property
    def adds_up(self) -> bool:
        """medfee = fund + personal part + hospital part, personal part = account + cash."""
        return (
            self.medfee_fen == self.fund_fen + self.psn_part_fen + self.hosp_part_fen
            and self.psn_part_fen == self.acct_fen + self.cash_fen
            and 0 <= self.family_fen <= self.acct_fen
        )


@dataclass
class SimulationResult:
    rounds: int
    concurrency: int
    style: str
    seed: int
    seconds: float = 0.0
    settled: list[Settled] = field(default_factory=list)
    cancelled_ids: list[str] = field(default_factory=list)
    cancelled_medfee_fen: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # "infno err_msg" → count
    errors: Counter[str] = field(default_factory=Counter)  # HTTP / transport failures
    calls: Counter[str] = field(default_factory=Counter)  # infno → calls sent
    latencies_2207: list[float] = field(default_factory=list)  # seconds, answered 2207 calls

    @property
    def settlements(self) -> int:
        return len(self.settled)

    @property
    def cancelled(self) -> int:
        return len(self.cancelled_ids)

    @property
    def refusals(self) -> int:
        return sum(self.refused.values())

    def total(self, attr: str) -> int:
        return sum(getattr(s, attr) for s in self.settled)

    @property
    def not_adding_up(self) -> list[Settled]:
        return [s for s in self.settled if not s.adds_up]

    @property
    def tps(self) -> float:
        """Settlements (2207 answered with infcode 0) per second of wall time."""
        return self.settlements / self.seconds if self.seconds > 0 else 0.0

    def latency_ms(self, q: float) -> float | None:
        values = sorted(self.latencies_2207)
        if not values:
            return None
        return 1000 * values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]

    def merge(self, other: SimulationResult) -> None:
        self.settled += other.settled
        self.cancelled_ids += other.cancelled_ids
        self.cancelled_medfee_fen += other.cancelled_medfee_fen
        self.refused.update(other.refused)
        self.errors.update(other.errors)
        self.calls.update(other.calls)
        self.latencies_2207 += other.latencies_2207


# --- playing one round ---------------------------------------------------------------------------


class _Refused(Exception):
    """The round ends: the centre answered infcode -1 (counted) or the call failed."""


def _send(tally: SimulationResult, infno: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Make one call; an answer other than infcode 0 is counted and ends the round."""
    tally.calls[infno] += 1
    t0 = time.perf_counter()
    try:
        answer = call()
    except httpx.HTTPStatusError as exc:
        tally.errors[f"{infno} HTTP {exc.response.status_code}"] += 1
        raise _Refused from None
    except (httpx.HTTPError, ValueError) as exc:  # transport failure or a body that is not JSON
        tally.errors[f"{infno} {type(exc).__name__}"] += 1
        raise _Refused from None
    if infno == "2207":
        tally.latencies_2207.append(time.perf_counter() - t0)
    if not isinstance(answer, dict) or answer.get("infcode") != 0:
        message = answer.get("err_msg") if isinstance(answer, dict) else None
        tally.refused[f"{infno} {message or '（无 err_msg）'}"] += 1
        raise _Refused
    return answer


def play(his: HisClient, rnd: Round, tally: SimulationResult) -> None:
    """One visit: 1101 → 2201 → 2206 → 2207 (→ 2208); refusals are counted in ``tally``."""
    p = rnd.patient
    his.style = rnd.style
    try:
        info = _send(tally, "1101", lambda: his.person_info(p.certno, p.name))
        psn_no = str(info["output"]["baseinfo"]["psn_no"])
        reg = _send(
            tally,
            "2201",
            lambda: his.register(psn_no, p.insutype, p.certno, p.name, ipt_otp_no=f"SIM{rnd.index:09d}"),
        )
        args: dict[str, Any] = dict(
            psn_no=psn_no,
            mdtrt_id=str(reg["output"]["data"]["mdtrt_id"]),
            insutype=p.insutype,
            certno=p.certno,
            medfee_fen=rnd.medfee_fen,
            acct_used_flag=rnd.acct_used_flag,
            med_type=rnd.site.med_type,
        )
        pre = _send(tally, "2206", lambda: his.call("2206", his.settle_input(**args)))
        body = his.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"]))
        done = _send(tally, "2207", lambda: his.call("2207", body))
        settled = Settled.of(done["output"]["setlinfo"], rnd)
        tally.settled.append(settled)
        if rnd.cancel:
            cancel = {"data": {"setl_id": settled.setl_id, "mdtrt_id": settled.mdtrt_id, "psn_no": settled.psn_no}}
            _send(tally, "2208", lambda: his.call("2208", cancel))
            tally.cancelled_ids.append(settled.setl_id)
            tally.cancelled_medfee_fen += settled.medfee_fen
    except _Refused:
        return
    except (KeyError, TypeError, IndexError) as exc:  # an answer without the fields the spec promises
        tally.errors[f"malformed answer: {type(exc).__name__} {exc}"[:120]] += 1


# --- the run -------------------------------------------------------------------------------------


def run_simulation(
    http_factory: Callable[[], httpx.Client],
    gj: Gongji,
    *,
    count: int,
    concurrency: int,
    style: Style,
    seed: int,
    on_progress: Callable[[int, int], None] | None = None,
    cast: Cast | None = None,
) -> SimulationResult:
    """Play ``count`` rounds with ``concurrency`` threads, each with its own HTTP client (from
    ``http_factory``) and its own HisClient per institution key. ``on_progress(done, total)`` is
    called after every round. ``cast`` defaults to ``load_cast(gj)``."""
    if count < 0 or concurrency < 1:
        raise ValueError("count must be ≥ 0 and concurrency ≥ 1")
    if style not in (*STYLES, "mixed"):
        raise ValueError(f"style must be one of body, path, service, mixed; got {style!r}")
    cast = cast or load_cast(gj)
    rounds = plan(cast, count=count, style=style, seed=seed)
    result = SimulationResult(rounds=count, concurrency=concurrency, style=style, seed=seed)
    queue = iter(rounds)
    lock = threading.Lock()
    done = 0
    failures: list[BaseException] = []

    def worker() -> None:
        nonlocal done
        tally = SimulationResult(rounds=0, concurrency=1, style=style, seed=seed)
        clients: dict[str, HisClient] = {}
        http: httpx.Client | None = None
        try:
            while True:
                with lock:
                    rnd = next(queue, None)
                if rnd is None:
                    break
                his = clients.get(rnd.key.key_id)
                if his is None:
                    http = http or http_factory()
                    his = HisClient(
                        http=http,
                        fixmedins_code=rnd.site.code,
                        fixmedins_name=rnd.site.name[:50],
                        region=rnd.site.region,
                        key=rnd.key,
                        now=gj.clock.now,
                    )
                    clients[rnd.key.key_id] = his
                play(his, rnd, tally)
                with lock:
                    done += 1
                    n = done
                if on_progress is not None:
                    on_progress(n, count)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller's thread
            failures.append(exc)
        finally:
            with lock:
                result.merge(tally)

    started = time.perf_counter()
    if concurrency == 1:
        worker()
    else:
        threads = [threading.Thread(target=worker, name=f"his-{i}", daemon=True) for i in range(concurrency)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    result.seconds = time.perf_counter() - started
    if failures:
        raise failures[0]
    return result


# --- the report ----------------------------------------------------------------------------------


def yuan_text(fen_: int) -> str:
    sign = "-" if fen_ < 0 else ""
    fen_ = abs(fen_)
    return f"{sign}{fen_ // 100:,}.{fen_ % 100:02d}"


def summary_tables(result: SimulationResult) -> Sequence[Table]:
    """The summary: counts, money, speed; then refusals and errors by message."""
    main = Table(
        title=f"医院模拟 HIS simulation — {result.rounds} 轮, {result.concurrency} 并发, {result.style}",
        show_header=False,
    )
    main.add_column("", style="bold")
    main.add_column("", justify="right")
    p50, p99 = result.latency_ms(0.50), result.latency_ms(0.99)
    rows = [
        ("结算 settlements (2207 ok)", f"{result.settlements:,}"),
        ("撤销 cancelled (2208 ok)", f"{result.cancelled:,}"),
        ("拒绝 refused (infcode -1)", f"{result.refusals:,}"),
        ("错误 errors (HTTP/transport)", f"{sum(result.errors.values()):,}"),
        ("医疗费总额 medfee (元)", yuan_text(result.total("medfee_fen"))),
        ("基金支付 fund (元)", yuan_text(result.total("fund_fen"))),
        ("个人账户 own account (元)", yuan_text(result.total("acct_fen") - result.total("family_fen"))),
        ("共济支付 family (元)", yuan_text(result.total("family_fen"))),
        ("现金 cash (元)", yuan_text(result.total("cash_fen"))),
        ("其中已撤销 of which cancelled, medfee (元)", yuan_text(result.cancelled_medfee_fen)),
        ("时间 wall time (s)", f"{result.seconds:.2f}"),
        ("tps (settlements / s)", f"{result.tps:,.1f}"),
        ("2207 p50 / p99 (ms)", f"{p50:.1f} / {p99:.1f}" if p50 is not None and p99 is not None else "—"),
        ("calls", ", ".join(f"{k} {v}" for k, v in sorted(result.calls.items()))),
    ]
    if result.not_adding_up:
        rows.append(("[red]金额不平 amounts not adding up[/red]", f"[red]{len(result.not_adding_up)}[/red]"))
    for label, value in rows:
        main.add_row(label, value)
    tables = [main]
    if result.refused or result.errors:
        why = Table("交易 / 原因 reason", "次数 count", title="拒绝与错误 Refusals and errors")
        for message, n in result.refused.most_common():
            why.add_row(message, f"{n:,}")
        for message, n in result.errors.most_common():
            why.add_row(f"[red]{message}[/red]", f"{n:,}")
        tables.append(why)
    return tables
