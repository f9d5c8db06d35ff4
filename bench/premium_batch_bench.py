#!/usr/bin/env python
"""Premium batch benchmark (issue 5): N tax premium requests sent as a batch, against a bare bulk
insert of the same rows on the same database, and peak memory.

    python bench/premium_batch_bench.py [--requests 1000000] [--batch-size 1000] [--mode set] [--quick]

PostgreSQL only (a throwaway cluster from gongji.devtools.pg_cluster, ledger_bench's settings).
Profile: Gansu (``funding_model = "allocation"``, ``requires_binding``): each authorizer pays
from the family account (共济账户) of the binding with the relative.

Set-up, not timed: N bound pairs, written by COPY and INSERT … SELECT generate_series (the
``family_binding`` rows as a real binding leaves them):

* an authorizer (valid resident ID, Gansu 620702), employee insurance 310 normal, personal
  account normal;
* a relative (valid resident ID), resident insurance 390 normal in 620702, no 2027 premium;
* an active binding and its family account ``family:<binding>`` holding 500.00 yuan, funded by
  a real balanced 2-posting ledger transaction — except every 100th pair, whose family account
  is empty: those requests are refused with E_RESIDENT_INSUFFICIENT_FUNDS on purpose (1%).

The clock stands at 2026-11-23 10:00 (FixedClock), inside Gansu's 2027 collection window
(2026-09-01…12-31, individual premium 400.00 yuan).

Timed: the N requests, from a generator, through ``services.resident.batch.tax_family_payments_batch``
(``--mode set``, the default: each chunk read, decided and written set-based, one transaction per
chunk; ``--mode per_request``: ``premiums.tax_family_payment`` per request, for comparison), in a
fresh process (forked from a small fork server) so that its ``ru_maxrss`` is the batch's alone.
Before it, a separate process sends T more requests (other pairs) with tracemalloc on: the Python
heap's peak (tracemalloc slows Python down, so it is kept out of the timed run). Then, in this
process: a sample of the batch sent again (every answer replayed, no money moves); the checks
(counts, balances, ``check_ledger`` in full); an in-process pass of two chunks counting SQL
statements and CPU per request, with a cProfile. The baselines, on the same database in the same
run: COPY of N ``tax_request`` rows (the answer JSON of the real size) into a copy of the table
with its indexes — the denominator — and the same rows by psycopg ``executemany`` INSERT,
committed per chunk.

Results: a rich table on stdout, bench/results/premium-<UTC timestamp>.json and
bench/results/premium-latest.json (not for --quick, which writes premium-<ts>-quick.json).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import multiprocessing as mp
import os
import resource
import shlex
import shutil
import signal
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT / "src", ROOT / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import ledger_bench as LB  # noqa: E402
from sqlalchemy import event  # noqa: E402

from gongji.adapters.db.migrate import upgrade  # noqa: E402
from gongji.adapters.family_texts import family_texts  # noqa: E402
from gongji.bootstrap import Gongji, bootstrap  # noqa: E402
from gongji.devtools import pg_cluster  # noqa: E402
from gongji.domain.clock import SHANGHAI, FixedClock  # noqa: E402
from gongji.domain.ids import CERT_TYPE_RESIDENT_ID, make_id_number  # noqa: E402
from gongji.services import auth  # noqa: E402
from gongji.services.audit import Channel  # noqa: E402
from gongji.services.auth import Principal, Role  # noqa: E402
from gongji.services.registry.persons import Ctx  # noqa: E402
from gongji.services.resident import batch as premium_batch  # noqa: E402
from gongji.services.resident import premiums  # noqa: E402

RESULTS_DIR = LB.RESULTS_DIR
say = LB.say

CLOCK_AT = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # inside Gansu's 2027 collection window
PROVINCE = "gansu"  # LB.bench_settings's profile: allocation model, requires_binding
REGION = "620702"  # 甘州区: persons, enrollments, family accounts, premium income
BENEFIT_YEAR = 2027
INSUTYPE = "390"
PREMIUM_FEN = 40_000  # gansu.toml, benefit year 2027: individual 400.00 yuan
FUND_FEN = 50_000  # what each funded family account holds
UNFUNDED_EVERY = 100  # every 100th pair's family account is empty: refused for insufficient funds
FUNDING_ACCOUNT = "external:bench:premium-funding"
INCOME_ACCOUNT = premiums.premium_income_account(REGION, INSUTYPE)
PROFILE_CHUNKS = 2  # in-process pass: one chunk counted and timed, one profiled
REPLAY_SAMPLE = 5_000
TABLES = (
    "tax_request",
    "resident_premium",
    "premium_payment",
    "family_payment",
    "family_draw",
    "ledger_txn",
    "ledger_posting",
    "ledger_account",
    "audit_log",
)


# --- who pays for whom: pair k (1-based) = authorizer person k, relative person M + k ------------------


def authorizer_cert(k: int) -> str:
    i = k - 1
    return make_id_number(REGION, date(1970, 1, 1) + timedelta(days=i // 1000), i % 1000)


def relative_cert(k: int) -> str:
    i = k - 1
    return make_id_number(REGION, date(2008, 1, 1) + timedelta(days=i // 1000), i % 1000)


def funded(k: int) -> bool:
    return k % UNFUNDED_EVERY != 0


def requests(first: int, count: int, prefix: str = "BT") -> Iterator[premiums.TaxPremiumRequest]:
    """The tax bureau's requests for pairs first..first+count-1, made one at a time."""
    for k in range(first, first + count):
        yield premiums.TaxPremiumRequest(
            request_id=f"{prefix}{k:010d}",
            payer_cert_no=authorizer_cert(k),
            relative_cert_no=relative_cert(k),
            benefit_year=BENEFIT_YEAR,
            amount_fen=PREMIUM_FEN,
            insutype=INSUTYPE,
        )


def refused_among(first: int, count: int) -> int:
    return sum(1 for k in range(first, first + count) if not funded(k))


# --- set-up ---------------------------------------------------------------------------------------------


def _pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def seed_pairs(dsn: str, m: int) -> dict[str, Any]:
    """M bound pairs (see the module docstring). Persons by COPY (the ID numbers are made here);
    the rest by INSERT … SELECT generate_series on the server."""
    import psycopg

    t0 = time.time()
    now = CLOCK_AT - timedelta(days=30)
    texts = family_texts()
    n_funded = m - m // UNFUNDED_EVERY
    with psycopg.connect(dsn) as conn:
        with conn.cursor() as cur:
            cols = "id, cert_type, cert_no, name, sex, birth_date, phone, hukou_region, created_at"
            with cur.copy(f"COPY person ({cols}) FROM STDIN") as copy:
                for k in range(1, m + 1):
                    for pid, cert, name in ((k, authorizer_cert(k), "缴费人"), (m + k, relative_cert(k), "亲属")):
                        birth = date(int(cert[6:10]), int(cert[10:12]), int(cert[12:14]))
                        sex = "1" if int(cert[16]) % 2 else "2"
                        copy.write_row((pid, CERT_TYPE_RESIDENT_ID, cert, name, sex, birth, None, REGION, now))
            p = {"m": m, "region": REGION, "now": now, "fund": FUND_FEN, "every": UNFUNDED_EVERY}
            cur.execute(
                "INSERT INTO enrollment (id, person_id, insutype, region_code, status, psn_type, employer_id,"
                " start_date, end_date)"
                " SELECT k, k, '310', %(region)s, 'normal', '11', NULL::bigint, DATE '2020-01-01', NULL::date"
                " FROM generate_series(1, %(m)s) k"
                " UNION ALL SELECT %(m)s + k, %(m)s + k, '390', %(region)s, 'normal', '1403', NULL::bigint,"
                " DATE '2026-01-01', NULL::date FROM generate_series(1, %(m)s) k",
                p,
            )
            cur.execute(
                "INSERT INTO personal_account (id, person_id, status, opened_on)"
                " SELECT k, k, 'normal', DATE '2020-01-01' FROM generate_series(1, %(m)s) k",
                p,
            )
            cur.execute(
                "INSERT INTO family_binding (id, authorizer_id, relative_id, relation, status, created_at,"
                " commitment_version, commitment_sha256, signature_sha256, signed_at, channel, client_addr,"
                " created_by_user_id, ended_at, end_reason, ended_by_user_id)"
                " SELECT k, k, %(m)s + k, 'child', 'active', %(now)s, %(version)s, %(sha)s,"
                " encode(sha256(convert_to('bench-signature:' || k, 'UTF8')), 'hex'), %(now)s, 'cli', NULL,"
                " NULL, NULL, NULL, NULL FROM generate_series(1, %(m)s) k",
                p | {"version": texts.version, "sha": texts.commitment_sha256},
            )
            cur.execute(
                "INSERT INTO ledger_account (id, code, kind, person_id, region_code, non_negative, opening_fen,"
                " balance_fen, created_at)"
                " SELECT 1, %(funding)s, 'external', NULL::bigint, %(region)s, false, 0, %(total)s, %(now)s"
                " UNION ALL SELECT 1 + k, 'family:' || k, 'family', k, %(region)s, true, 0,"
                " CASE WHEN k %% %(every)s = 0 THEN 0 ELSE %(fund)s END, %(now)s FROM generate_series(1, %(m)s) k",
                p | {"funding": FUNDING_ACCOUNT, "total": -FUND_FEN * n_funded},
            )
            # one balanced transaction per funded family account: funding account -> family:k
            cur.execute(
                "INSERT INTO ledger_txn (id, idempotency_key, request_hash, kind, narration, reverses_txn_id,"
                " user_id, created_at, result_json)"
                " SELECT k, 'bench:premium-fund:' || k,"
                " encode(sha256(convert_to('bench.fund:' || k, 'UTF8')), 'hex'), 'bench.fund', '基准测试注资',"
                " NULL, NULL, %(now)s, json_build_object('kind', 'bench.fund', 'binding_id', k,"
                " 'amount_fen', %(fund)s)::text FROM generate_series(1, %(m)s) k WHERE k %% %(every)s <> 0",
                p,
            )
            cur.execute(
                "INSERT INTO ledger_posting (id, txn_id, account_id, amount_fen, balance_after_fen)"
                " SELECT 2 * k - 1, k, 1, -%(fund)s, -%(fund)s::bigint * (k - k / %(every)s)"
                " FROM generate_series(1, %(m)s) k WHERE k %% %(every)s <> 0"
                " UNION ALL SELECT 2 * k, k, 1 + k, %(fund)s, %(fund)s"
                " FROM generate_series(1, %(m)s) k WHERE k %% %(every)s <> 0",
                p,
            )
            for table, top in (
                ("person", 2 * m),
                ("enrollment", 2 * m),
                ("personal_account", m),
                ("family_binding", m),
                ("ledger_account", m + 1),
                ("ledger_txn", m),
                ("ledger_posting", 2 * m),
            ):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (top,))
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {
        "pairs": m,
        "persons": 2 * m,
        "enrollments": 2 * m,
        "bindings": m,
        "family_accounts_funded": n_funded,
        "family_accounts_empty": m - n_funded,
        "funding_txns": n_funded,
        "seconds": round(time.time() - t0, 1),
    }


def create_tax_user(gj: Gongji) -> Principal:
    def go(uow: Any) -> Principal:
        user = auth.create_user(
            uow, username="tax_batch", password="bench-password-1", role=Role.TAX, display_name="税务批量"
        )
        p = auth.principal_of(uow, user)
        uow.commit()
        return p

    return gj.run(go)


def bench_gongji(url: str, log_file: Path) -> Gongji:
    settings = LB.bench_settings(url, log_file)
    assert settings.province == PROVINCE
    return bootstrap(settings, clock=FixedClock(CLOCK_AT))


# --- the batch, in a fresh process ----------------------------------------------------------------------


def _rss_mib(field: str = "VmRSS") -> float:
    """This process's resident set (VmRSS) or its peak since exec (VmHWM), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _batch_child(
    url: str,
    log_file: str,
    principal: Principal,
    first: int,
    count: int,
    batch_size: int,
    trace: bool,
    tag: str,
    mode: premium_batch.Mode,
) -> dict[str, Any]:
    """One batch of ``count`` requests; returns the figures (runs in a process of its own)."""
    at_start = {"rss_mib": _rss_mib(), "vmhwm_mib": _rss_mib("VmHWM")}
    gj = bench_gongji(url, Path(log_file))
    ctx = Ctx(principal=principal, channel=Channel("cli"), clock=gj.clock)
    with gj.engine.connect():  # the driver and libpq loaded, one pooled connection open
        pass
    before_batch = {"rss_mib": _rss_mib(), "vmhwm_mib": _rss_mib("VmHWM")}
    # The start-up peak (importing services.auth hashes a dummy password with argon2, 64 MiB) is
    # not the batch's: reset the peak to the current RSS, so ru_maxrss and VmHWM cover the batch.
    try:
        Path("/proc/self/clear_refs").write_text("5")
        before_batch["peak_reset"] = True
    except OSError:
        before_batch["peak_reset"] = False
    marks = max(batch_size, count // 20)
    samples: list[dict[str, Any]] = []
    state = {"next": marks, "t": 0.0, "done": 0}

    def on_chunk(total: premium_batch.BatchResult) -> None:
        if total.requests >= state["next"] or total.requests == count:
            now = time.perf_counter() - t0
            rate = (total.requests - state["done"]) / max(1e-9, now - state["t"])
            samples.append(
                {
                    "done": total.requests,
                    "elapsed_s": round(now, 1),
                    "rate": round(rate, 1),
                    "rss_mib": _rss_mib(),
                    "vmhwm_mib": _rss_mib("VmHWM"),
                }
            )
            say(f"  {tag}: {total.requests:,}/{count:,} requests, {rate:,.0f}/s, RSS {samples[-1]['rss_mib']} MiB")
            state.update(next=state["next"] + marks, t=now, done=total.requests)

    if trace:
        tracemalloc.start()
    cpu0 = os.times()
    t0 = time.perf_counter()
    result = premium_batch.tax_family_payments_batch(
        gj.uow, ctx, gj.profile, requests(first, count), batch_size=batch_size, on_chunk=on_chunk, mode=mode
    )
    wall = time.perf_counter() - t0
    cpu1 = os.times()
    traced = None
    if trace:
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        traced = {"peak_mib": round(peak / 2**20, 2), "current_at_end_mib": round(current / 2**20, 2)}
    gj.engine.dispose()
    cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    half = len(samples) // 2
    first_half, second_half = samples[:half], samples[half:]

    def mean_rate(xs: list[dict[str, Any]]) -> float | None:
        return round(sum(x["rate"] for x in xs) / len(xs), 1) if xs else None

    out = {
        "requests": count,
        "first_pair": first,
        "batch_size": batch_size,
        "mode": mode,
        "tracemalloc": traced,
        "wall_s": round(wall, 2),
        "requests_per_s": round(count / wall, 1),
        "client_cpu_ms_per_request": round(1000 * cpu / count, 3),
        "client_cores": round(cpu / wall, 2),
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "vmhwm_mib": _rss_mib("VmHWM"),
        "at_start": at_start,
        "before_batch": before_batch,
        "rss_at_end_mib": _rss_mib(),
        "rate_first_half": mean_rate(first_half),
        "rate_second_half": mean_rate(second_half),
        "samples": samples,
        "result": result.as_dict(),
    }
    # said here too: if this run's parent is killed, the figures are still in the log
    say(f"  {tag} done: {json.dumps({k: v for k, v in out.items() if k != 'samples'}, default=str)}")
    return out


def run_batch(
    url: str,
    log_file: Path,
    principal: Principal,
    first: int,
    count: int,
    batch_size: int,
    *,
    trace: bool,
    postmaster: int | None,
    tag: str,
    mode: premium_batch.Mode,
) -> dict[str, Any]:
    import settlement_bench as SB

    # Peak memory of the batch process alone: a process forked (or exec'd) from this big one
    # inherits its RSS as ru_maxrss and VmHWM; one forked from a fork server that preloads
    # nothing starts from a few MiB. It then imports this module, which does not import
    # settlement_bench at module level: that import alone peaks at ~140 MiB (then ~80).
    context = mp.get_context("forkserver")
    context.set_forkserver_preload([])
    a = SB.snapshot(None, postmaster)
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        out = pool.submit(
            _batch_child, url, str(log_file), principal, first, count, batch_size, trace, tag, mode
        ).result()
    b = SB.snapshot(None, postmaster)
    usage = SB.cpu_usage(a, b, count)
    gongji_s = out["client_cpu_ms_per_request"] * count / 1000
    out["cpu"] = {
        "postgres_cpu_ms_per_request": usage.get("postgres_cpu_ms_per_txn"),
        "postgres_cores_during_batch": round(
            usage.get("postgres_cores", 0.0) * usage["wall_s"] / max(1e-9, out["wall_s"]), 2
        ),
        "machine_cores_busy": usage["machine_cores_busy"],
        "other_cores": round(usage["other_cores"] - gongji_s / usage["wall_s"], 2),
        "note": "PostgreSQL over the batch process's whole life (start-up included, a few seconds); "
        "other = machine busy time that neither PostgreSQL, the batch process nor this one used",
    }
    return out


# --- after the batch ------------------------------------------------------------------------------------


def table_counts(dsn: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(dsn) as conn:
        return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}  # type: ignore[index]


def verify(dsn: str, gj: Gongji, m_done: int, expect_refused: int, m_seeded: int) -> dict[str, Any]:
    """What the database holds after pairs 1..m_done were each asked for once."""
    import psycopg

    expect_paid = m_done - expect_refused
    with psycopg.connect(dsn) as conn:

        def one(sql: str, *args: Any) -> Any:
            return conn.execute(sql, args).fetchone()[0]  # type: ignore[index]

        by_status = dict(conn.execute("SELECT status, count(*) FROM tax_request GROUP BY status").fetchall())
        reasons = dict(
            conn.execute(
                "SELECT answer_json::json->>'reason_code', count(*) FROM tax_request WHERE status = 'refused'"
                " GROUP BY 1"
            ).fetchall()
        )
        premiums_paid = one(
            "SELECT count(*) FROM resident_premium WHERE status = 'paid' AND benefit_year = %s AND insutype = %s",
            BENEFIT_YEAR,
            INSUTYPE,
        )
        payments = one("SELECT count(*) FROM premium_payment WHERE status = 'paid' AND channel = 'family_account'")
        family_payments = one("SELECT count(*) FROM family_payment WHERE use_kind = 'premium'")
        draws = one("SELECT count(*) FROM family_draw")
        premium_txns = one("SELECT count(*) FROM ledger_txn WHERE kind = 'family.pay.premium'")
        income = one("SELECT balance_fen FROM ledger_account WHERE code = %s", INCOME_ACCOUNT)
        family_left = int(one("SELECT coalesce(sum(balance_fen), 0) FROM ledger_account WHERE kind = 'family'"))
        pending = one("SELECT count(*) FROM tax_request WHERE status NOT IN ('paid', 'refused')")
    funded_pairs = m_seeded - m_seeded // UNFUNDED_EVERY  # every funded family account, paid from or not
    t0 = time.time()
    check = LB.ledger_check(gj)
    check_s = round(time.time() - t0, 1)
    out = {
        "tax_request_by_status": by_status,
        "refusal_reasons": reasons,
        "resident_premium_paid": premiums_paid,
        "premium_payment_rows": payments,
        "family_payment_rows": family_payments,
        "family_draw_rows": draws,
        "premium_ledger_txns": premium_txns,
        "premium_income_fen": income,
        "family_accounts_left_fen": family_left,
        "pending_requests": pending,
        "check_ledger": check,
        "check_ledger_seconds": check_s,
        "expected": {"paid": expect_paid, "refused": expect_refused},
    }
    out["ok"] = bool(
        by_status.get("paid", 0) == expect_paid
        and by_status.get("refused", 0) == expect_refused
        and reasons == ({"E_RESIDENT_INSUFFICIENT_FUNDS": expect_refused} if expect_refused else {})
        and premiums_paid == payments == family_payments == draws == premium_txns == expect_paid
        and income == PREMIUM_FEN * expect_paid
        and family_left == FUND_FEN * funded_pairs - PREMIUM_FEN * expect_paid
        and pending == 0
        and check["ok"]
    )
    return out


def replay_sample(
    gj: Gongji, principal: Principal, count: int, batch_size: int, mode: premium_batch.Mode
) -> dict[str, Any]:
    """The first ``count`` requests of the batch again: every one replayed, no money moves."""
    ctx = Ctx(principal=principal, channel=Channel("cli"), clock=gj.clock)

    def txns() -> int:
        with gj.uow() as uow:
            return int(uow.session.scalar(L_COUNT_TXN) or 0)

    before = txns()
    t0 = time.perf_counter()
    result = premium_batch.tax_family_payments_batch(
        gj.uow, ctx, gj.profile, requests(1, count), batch_size=batch_size, mode=mode
    )
    wall = time.perf_counter() - t0
    after = txns()
    return {
        "requests": count,
        "result": result.as_dict(),
        "replays_per_s": round(count / wall, 1),
        "ledger_txns_added": after - before,
        "ok": result.replayed == count and result.paid == result.refused == 0 and after == before,
    }


def _count_txn() -> Any:
    from sqlalchemy import func, select

    from gongji.adapters.db.models import LedgerTxn

    return select(func.count()).select_from(LedgerTxn)


L_COUNT_TXN = _count_txn()


def profile_pass(
    gj: Gongji, principal: Principal, first: int, batch_size: int, postmaster: int | None, mode: premium_batch.Mode
) -> dict[str, Any]:
    """In this process, on pairs nobody has paid for yet, one chunk counted and timed, one more
    profiled: SQL statements per chunk and per request (SQLAlchemy events, BEGIN/COMMIT included;
    an executemany is one call, its rows are counted apart), CPU per request, and a cProfile."""
    import settlement_bench as SB  # not at module level: see run_batch

    ctx = Ctx(principal=principal, channel=Channel("cli"), clock=gj.clock)
    half = batch_size  # one chunk each
    statements: list[str] = []
    executemany_rows = {"n": 0}

    def on_execute(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        text = " ".join(statement.split())[:110]
        if executemany:
            executemany_rows["n"] += len(params)
            text = f"[executemany × {len(params)}] {text}"
        statements.append(text)

    def on_tx(name: str) -> Any:
        def listener(conn: Any, *args: Any) -> None:
            statements.append(name)

        return listener

    listeners = {what: on_tx(what.upper()) for what in ("begin", "commit", "rollback")}  # SAVEPOINT: cursor
    event.listen(gj.engine, "before_cursor_execute", on_execute)
    for what, fn in listeners.items():
        event.listen(gj.engine, what, fn)
    try:
        a = SB.snapshot(None, postmaster)
        c0, w0 = time.process_time(), time.perf_counter()
        counted = premium_batch.tax_family_payments_batch(
            gj.uow, ctx, gj.profile, requests(first, half, "BP"), batch_size=batch_size, mode=mode
        )
        cpu_ms = 1000 * (time.process_time() - c0) / half
        wall_ms = 1000 * (time.perf_counter() - w0) / half
        pg_ms = SB.cpu_usage(a, SB.snapshot(None, postmaster), half).get("postgres_cpu_ms_per_txn")
    finally:
        event.remove(gj.engine, "before_cursor_execute", on_execute)
        for what, fn in listeners.items():
            event.remove(gj.engine, what, fn)
    tx = {"BEGIN", "COMMIT", "ROLLBACK"}
    if mode == "set":
        example = statements  # the whole chunk
    else:
        # one paid request's statements: the chunk's first request runs from the first statement
        # after the replay lookup to the first statement of the next request's lookup
        starts = [i for i, s in enumerate(statements) if s.startswith("SELECT tax_request.id")]
        example = statements[starts[0] : starts[1]] if len(starts) > 1 else []
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    profiled = premium_batch.tax_family_payments_batch(
        gj.uow, ctx, gj.profile, requests(first + half, half, "BP"), batch_size=batch_size, mode=mode
    )
    prof.disable()
    summary = SB._profile_summary(prof, half, round(cpu_ms, 3))
    summary = json.loads(json.dumps(summary).replace("_per_2207", "_per_request"))
    say(f"in-process: {len(statements)} statements for {half:,} requests, {cpu_ms:.3f} ms CPU per request")
    return {
        "requests": half,
        "batch_size": batch_size,
        "mode": mode,
        "statements": len([s for s in statements if s not in tx]),
        "statements_per_request": round(len([s for s in statements if s not in tx]) / half, 3),
        "with_begin_commit": round(len(statements) / half, 3),
        "executemany_rows_per_request": round(executemany_rows["n"] / half, 2),
        "example": example if mode == "set" else None,
        "example_request": example if mode != "set" else None,
        "cpu_ms_per_request": round(cpu_ms, 3),
        "postgres_cpu_ms_per_request": pg_ms,
        "wall_ms_per_request": round(wall_ms, 3),
        "results": {"counted": counted.as_dict(), "profiled": profiled.as_dict()},
        "cprofile": summary,
    }


# --- the baselines: a bare bulk insert of the same rows ------------------------------------------------


def bulk_rows(n: int, paid_answer: str, refused_answer: str, sample_id: str, user_id: int) -> Iterator[tuple[Any, ...]]:
    """N tax_request rows like the batch's: same columns, answers of the real size (the stored
    answers of two real requests, the request id replaced), 1% refused."""
    now = CLOCK_AT
    for k in range(1, n + 1):
        rid = f"BK{k:010d}"
        ok = funded(k)
        answer = (paid_answer if ok else refused_answer).replace(sample_id, rid)
        digest = hashlib.sha256(rid.encode()).hexdigest()
        yield (rid, digest, premiums.TAX_KIND, "paid" if ok else "refused", answer, user_id, now)


BULK_COLUMNS = "request_id, request_hash, kind, status, answer_json, user_id, created_at"


def bulk_baselines(dsn: str, n: int, batch_size: int, postmaster: int | None) -> list[dict[str, Any]]:
    import psycopg
    import settlement_bench as SB  # not at module level: see run_batch

    with psycopg.connect(dsn) as conn:
        paid_id, paid = conn.execute(
            "SELECT request_id, answer_json FROM tax_request WHERE status = 'paid' ORDER BY id LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        refused_id, refused = conn.execute(
            "SELECT request_id, answer_json FROM tax_request WHERE status = 'refused' ORDER BY id LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        user_id = conn.execute("SELECT user_id FROM tax_request LIMIT 1").fetchone()[0]  # type: ignore[index]
        for table in ("bench_tax_request_copy", "bench_tax_request_insert"):
            conn.execute(f"CREATE TABLE {table} (LIKE tax_request INCLUDING ALL)")
        conn.commit()
    refused = refused.replace(refused_id, paid_id)
    avg = round((len(paid.encode()) * 99 + len(refused.encode())) / 100)
    out = []

    def copy_run(conn: Any) -> None:
        with conn.cursor() as cur, cur.copy(f"COPY bench_tax_request_copy ({BULK_COLUMNS}) FROM STDIN") as copy:
            for row in bulk_rows(n, paid, refused, paid_id, user_id):
                copy.write_row(row)
        conn.commit()

    def insert_run(conn: Any) -> None:
        sql = f"INSERT INTO bench_tax_request_insert ({BULK_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        rows = bulk_rows(n, paid, refused, paid_id, user_id)
        with conn.cursor() as cur:
            while chunk := [r for _, r in zip(range(batch_size), rows, strict=False)]:
                cur.executemany(sql, chunk)
                conn.commit()

    for name, fn, note in (
        (
            "bulk COPY tax_request rows",
            copy_run,
            "psycopg 3 COPY FROM STDIN (write_row), one transaction, into a copy of tax_request with its "
            "indexes (LIKE … INCLUDING ALL); rows made by a generator in this process",
        ),
        (
            "bulk executemany INSERT tax_request rows",
            insert_run,
            f"psycopg 3 executemany (pipelined) of {batch_size} rows per transaction, same rows, own copy of the table",
        ),
    ):
        SB.wait_for_quiet(limit_s=30)
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CHECKPOINT")
        say(f"{name}: {n:,} rows")
        a = SB.snapshot(None, postmaster)
        t0 = time.perf_counter()
        with psycopg.connect(dsn) as conn:
            fn(conn)
        wall = time.perf_counter() - t0
        b = SB.snapshot(None, postmaster)
        usage = SB.cpu_usage(a, b, n)
        out.append(
            {
                "name": name,
                "rows": n,
                "wall_s": round(wall, 2),
                "rows_per_s": round(n / wall, 1),
                "avg_answer_json_bytes": avg,
                "client_cpu_ms_per_row": usage.get("client_cpu_ms_per_txn"),
                "postgres_cpu_ms_per_row": usage.get("postgres_cpu_ms_per_txn"),
                "other_cores": usage["other_cores"],
                "note": note,
            }
        )
        say(f"  {n / wall:,.0f} rows/s")
    with psycopg.connect(dsn) as conn:
        for t in ("bench_tax_request_copy", "bench_tax_request_insert"):
            got = conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
            assert got == n, (t, got)
    return out


# --- the run ---------------------------------------------------------------------------------------------


def run_postgres(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import psycopg
    import settlement_bench as SB  # not at module level: see run_batch

    n, t, b, mode = args.requests, args.trace_requests, args.batch_size, args.mode
    m = n + t + PROFILE_CHUNKS * b  # pairs 1..n: timed; n+1..n+t: traced; then the in-process pass
    out: dict[str, Any] = {}
    cluster = pg_cluster.start()
    try:
        out["settings"] = (
            "throwaway cluster from gongji.devtools.pg_cluster: fsync=off, synchronous_commit=off, "
            "full_page_writes=off, shared_buffers default (128MB), loopback TCP"
        )
        url = cluster.create_database("gongji")
        dsn = _pg(url)
        with psycopg.connect(dsn) as c:
            out["server_version"] = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        upgrade(url)
        log_file = tmp / "gongji-bench.log"
        gj = bench_gongji(url, log_file)
        principal = create_tax_user(gj)
        say(f"PostgreSQL {out['server_version']} on port {cluster.port}: seeding {m:,} bound pairs")
        out["seed"] = seed_pairs(dsn, m)
        say(f"seeded: {out['seed']}")
        postmaster = SB.postmaster_pid(cluster)

        say(f"traced batch (tracemalloc on): {t:,} requests, batch size {b}, mode {mode}")
        out["traced"] = run_batch(
            url, log_file, principal, n + 1, t, b, trace=True, postmaster=postmaster, tag="traced", mode=mode
        )
        say(f"  tracemalloc peak {out['traced']['tracemalloc']['peak_mib']} MiB")

        before = table_counts(dsn)
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CHECKPOINT")
        out["quiet_before_timed_cores"] = SB.wait_for_quiet(limit_s=60)
        say(f"timed batch: {n:,} requests, batch size {b}, mode {mode}")
        timed = run_batch(url, log_file, principal, 1, n, b, trace=False, postmaster=postmaster, tag="timed", mode=mode)
        out["timed"] = timed
        say(
            f"  {timed['requests_per_s']:,.0f} requests/s over {timed['wall_s']:,.0f} s, "
            f"ru_maxrss {timed['ru_maxrss_mib']} MiB"
        )
        after = table_counts(dsn)
        written = {k: after[k] - before[k] for k in TABLES}
        out["rows_written"] = {
            "by_table": written,
            "per_request": round(sum(written.values()) / n, 2),
            "rows_per_s": round(sum(written.values()) / timed["wall_s"], 1),
        }

        say("checks: counts, balances, check_ledger (in full)")
        out["verify"] = verify(dsn, gj, n + t, refused_among(1, n + t), m)
        say(f"  ok={out['verify']['ok']} (check_ledger {out['verify']['check_ledger_seconds']} s)")
        sample = min(n, REPLAY_SAMPLE)
        say(f"replay: the first {sample:,} requests again")
        out["replay"] = replay_sample(gj, principal, sample, b, mode)
        say(f"  ok={out['replay']['ok']}, {out['replay']['replays_per_s']:,.0f} replays/s")
        out["profile"] = profile_pass(gj, principal, n + t + 1, b, postmaster, mode)
        gj.engine.dispose()

        out["baselines"] = bulk_baselines(dsn, n, b, postmaster)
        copy = out["baselines"][0]
        out["headline"] = {
            "gongji_requests_per_s": timed["requests_per_s"],
            "bulk_run": copy["name"],
            "bulk_rows_per_s": copy["rows_per_s"],
            "ratio": round(timed["requests_per_s"] / copy["rows_per_s"], 6),
        }
        out["ratios"] = {
            f"gongji batch / {x['name']}": round(timed["requests_per_s"] / x["rows_per_s"], 6) for x in out["baselines"]
        } | {
            f"gongji rows written per s / {copy['name']}": round(
                out["rows_written"]["rows_per_s"] / copy["rows_per_s"], 4
            )
        }
        if n < 1_000_000:
            out["projection_1m"] = {
                "seconds": round(1_000_000 / timed["requests_per_s"], 0),
                "how": "1,000,000 ÷ the measured requests/s (linear: compare rate_first_half and rate_second_half)",
            }
    finally:
        cluster.stop()
    return out


def code_version() -> dict[str, Any]:
    info = LB.code_version()
    for name in ("premiums", "premium_batch", "family", "ledger"):
        info[f"{name}_py_sha256"] = LB._sha256(ROOT / "src" / "gongji" / "services" / f"{name}.py")
    return info


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=150)
    pg = report["postgresql"]
    timed, traced = pg["timed"], pg["traced"]
    table = Table(
        title=f"Premium batch benchmark: {report['parameters']['requests']:,} requests, batch size "
        f"{report['parameters']['batch_size']}, mode {report['parameters']['mode']} "
        f"({report['machine']['nproc']} cores, {report['machine']['cpu_model']})"
    )
    for col, just in (("run", "left"), ("rows or requests", "right"), ("per s", "right"), ("wall s", "right")):
        table.add_column(col, justify=just)
    table.add_column("notes")
    r = timed["result"]
    table.add_row(
        "[bold]gongji tax_family_payments_batch[/bold]",
        f"{timed['requests']:,}",
        f"[bold]{timed['requests_per_s']:,.0f}[/bold]",
        f"{timed['wall_s']:,.1f}",
        f"paid {r['paid']:,}, refused {r['refused']:,}; ru_maxrss {timed['ru_maxrss_mib']} MiB",
    )
    table.add_row(
        "gongji, tracemalloc on (memory only)",
        f"{traced['requests']:,}",
        f"{traced['requests_per_s']:,.0f}",
        f"{traced['wall_s']:,.1f}",
        f"tracemalloc peak {traced['tracemalloc']['peak_mib']} MiB; ru_maxrss {traced['ru_maxrss_mib']} MiB",
    )
    for x in pg["baselines"]:
        table.add_row(x["name"], f"{x['rows']:,}", f"{x['rows_per_s']:,.0f}", f"{x['wall_s']:,.1f}", "")
    console.print(table)
    h = pg["headline"]
    console.print(
        f"[bold]HEADLINE: gongji requests/s ÷ {h['bulk_run']} rows/s = {h['ratio']:.6f}[/bold] "
        f"({h['gongji_requests_per_s']:,.0f} / {h['bulk_rows_per_s']:,.0f})"
    )
    for k, v in pg["ratios"].items():
        console.print(f"  {k}: {v:.6f}")
    v = pg["verify"]
    console.print(
        f"checks ok: {v['ok']} (paid {v['tax_request_by_status'].get('paid', 0):,}, refused "
        f"{v['tax_request_by_status'].get('refused', 0):,}; check_ledger ok {v['check_ledger']['ok']}, "
        f"{v['check_ledger']['transactions']:,} txns); replay ok: {pg['replay']['ok']}; "
        f"rows written per request: {pg['rows_written']['per_request']}; "
        f"statements per request: {pg['profile']['with_begin_commit']} "
        f"(+ {pg['profile']['executemany_rows_per_request']} executemany rows); "
        f"CPU per request: client {timed['client_cpu_ms_per_request']} ms, "
        f"PostgreSQL {timed['cpu']['postgres_cpu_ms_per_request']} ms"
    )
    console.print(f"Written: {report.get('written')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=1_000_000, help="requests in the timed batch (default 1,000,000)")
    ap.add_argument("--batch-size", type=int, default=premium_batch.DEFAULT_BATCH_SIZE, help="requests per transaction")
    ap.add_argument(
        "--mode",
        choices=premium_batch.MODES,
        default="set",
        help="set: the set-based chunk path (default); per_request: tax_family_payment per request",
    )
    ap.add_argument(
        "--trace-requests", type=int, default=None, help="requests of the tracemalloc pass (default min(N, 5,000))"
    )
    ap.add_argument("--quick", action="store_true", help="smoke test: 20,000 requests, 1,000 traced")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/*.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.requests = min(args.requests, 20_000)
    if args.trace_requests is None:
        args.trace_requests = min(args.requests, 1_000 if args.quick else 5_000)
    exe = os.path.relpath(sys.executable) if sys.executable.startswith(str(ROOT)) else sys.executable
    command = " ".join(
        shlex.quote(a) for a in [exe, "bench/premium_batch_bench.py", *(argv if argv is not None else sys.argv[1:])]
    )
    params = {
        "requests": args.requests,
        "batch_size": args.batch_size,
        "trace_requests": args.trace_requests,
        "profile_requests": PROFILE_CHUNKS * args.batch_size,
        "mode": args.mode,
        "quick": args.quick,
        "province": PROVINCE,
        "funding_model": "allocation (the binding's family account pays)",
        "clock": CLOCK_AT.isoformat(),
        "benefit_year": BENEFIT_YEAR,
        "insutype": INSUTYPE,
        "premium_fen": PREMIUM_FEN,
        "family_account_fen": FUND_FEN,
        "refused_on_purpose": f"every {UNFUNDED_EVERY}th pair: empty family account (E_RESIDENT_INSUFFICIENT_FUNDS)",
    }
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "benchmark": "premium-batch",
        "started_utc": started.isoformat(timespec="seconds"),
        "command": command,
        "cwd": str(Path.cwd()),
        "code": code_version(),
        "machine": LB.machine_info(),
        "parameters": params,
        "sqlite": {
            "skipped": "the issue's figure is for PostgreSQL; the batch entry point runs on SQLite too "
            "(tests/integration/test_premium_batch.py runs it on both databases)"
        },
    }
    if not pg_cluster.available():
        raise SystemExit("PostgreSQL 15 binaries not found; run `make services`")
    # a SIGTERM (another session's clean-up) unwinds through the finally blocks: cluster stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="gongji-bench-"))
    try:
        report["postgresql"] = run_postgres(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        name = f"premium-{stamp}{'-quick' if args.quick else ''}.json"
        targets = [RESULTS_DIR / name] + ([] if args.quick else [RESULTS_DIR / "premium-latest.json"])
        report["written"] = [str(x.relative_to(ROOT)) for x in targets]
        payload = json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
        for x in targets:
            x.write_text(payload, encoding="utf-8")
    print_report(report)
    pg = report["postgresql"]
    return 0 if pg["verify"]["ok"] and pg["replay"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
