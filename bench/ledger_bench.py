#!/usr/bin/env python
"""Ledger debit benchmark: gongji's ``ledger.post`` against plain baselines on the same machine.

    python bench/ledger_bench.py [--seconds 10] [--clients 16] [--quick]

PostgreSQL (a throwaway cluster, fsync off, the same settings for every figure):
  * pgbench's built-in TPC-B-like script, ``-c CLIENTS -j 2 -T SECONDS`` (and 1 client);
  * gongji debits through ``gongji.services.ledger.post`` in the unit of work (``gj.run``):
    1 thread, CLIENTS threads in one process, and PROCS processes x CLIENTS/PROCS threads;
  * a raw psycopg debit on the gongji schema (same rows written, no ORM), CLIENTS threads,
    to separate what the database costs from what the Python layer costs.
SQLite (files in a temp dir, WAL, synchronous=NORMAL, BEGIN IMMEDIATE):
  * a plain ``sqlite3`` debit loop on schema-like tables (its own file);
  * gongji debits through ``ledger.post`` on a migrated gongji file; 1 and 4 threads each.

Every debit moves a small amount from a random personal account to a random pool account
with a unique idempotency key. Committed debits give tps and latency; debits refused for
insufficient balance (1% of personal accounts are left unfunded on purpose) are counted
separately. ``check_ledger`` must be ok after each database's runs.

Results: a rich table on stdout, bench/results/ledger-<UTC timestamp>.json and
bench/results/ledger-latest.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
if str(ROOT / "src") not in sys.path:  # works without the editable install too
    sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import insert, text  # noqa: E402

from gongji.adapters.db.migrate import upgrade  # noqa: E402
from gongji.adapters.db.models import (  # noqa: E402
    LedgerAccount,
    LedgerPosting,
    LedgerTxn,
    Person,
    PersonalAccount,
)
from gongji.bootstrap import Gongji, bootstrap  # noqa: E402
from gongji.config import Settings  # noqa: E402
from gongji.devtools import pg_cluster  # noqa: E402
from gongji.domain import ledger as L  # noqa: E402
from gongji.domain.errors import InsufficientBalance  # noqa: E402
from gongji.services import ledger  # noqa: E402

FUNDING_ACCOUNT = "external:bench:funding"
FUND_FEN = 1_000_000  # 10,000 yuan per funded personal account
UNFUNDED_EVERY = 100  # every 100th personal account stays empty: its debits are refused
MAX_DEBIT_FEN = 500
WARMUP_STEPS = 5  # per worker, before the clock starts (opens connections, warms caches)
REGION = "620100"

# Account ids are assigned here: 1 = funding (external), 2..N+1 = personal, then the pools.


def personal_id(pid: int) -> int:
    return 1 + pid


def pool_id(n_personal: int, j: int) -> int:
    return 1 + n_personal + j


def pool_code(j: int) -> str:
    return L.pool_fund("bench", f"{j:03d}")


# --- results ------------------------------------------------------------------------------------


@dataclass
class RunResult:
    name: str
    database: str
    driver: str
    clients: int
    processes: int
    seconds: float
    committed: int
    refused: int = 0
    errors: int = 0
    tps: float = 0.0
    latency_avg_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p99_ms: float | None = None
    note: str = ""
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_values: list[float], q: float) -> float | None:
    if not sorted_values:
        return None
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


@dataclass
class WorkerStats:
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    ended_at: float = 0.0


def summarize(
    name: str,
    database: str,
    driver: str,
    clients: int,
    processes: int,
    wall: float,
    stats: list[WorkerStats],
    note: str = "",
) -> RunResult:
    lat = sorted(x for s in stats for x in s.latencies)
    samples = [e for s in stats for e in s.error_samples][:5]
    return RunResult(
        name=name,
        database=database,
        driver=driver,
        clients=clients,
        processes=processes,
        seconds=round(wall, 3),
        committed=len(lat),
        refused=sum(s.refused for s in stats),
        errors=sum(s.errors for s in stats),
        tps=round(len(lat) / wall, 1) if wall > 0 else 0.0,
        latency_avg_ms=round(1000 * sum(lat) / len(lat), 3) if lat else None,
        latency_p50_ms=_ms(percentile(lat, 0.50)),
        latency_p99_ms=_ms(percentile(lat, 0.99)),
        note=note,
        error_samples=samples,
    )


def record(out: dict[str, Any], r: RunResult) -> None:
    """Keep a run's result for the JSON file and print its figures."""
    out["runs"].append(asdict(r))
    say(f"  {r.tps:,.0f} tps, refused {r.refused}, errors {r.errors}")


def _ms(v: float | None) -> float | None:
    return None if v is None else round(1000 * v, 3)


# --- the timed loop (threads; the same in the parent and in each child process) ----------------

Step = Callable[[], str]  # one debit: "ok" | "refused"; raises on anything else


def run_threads(
    make_step: Callable[[int], Step], nthreads: int, seconds: float, wait_for_start: Callable[[], float] | None = None
) -> tuple[float, list[WorkerStats]]:
    """Warm up every worker, start them together, run ``seconds``; return (wall, stats)."""
    stats = [WorkerStats() for _ in range(nthreads)]
    ready = threading.Barrier(nthreads + 1)
    go = threading.Event()
    clock: dict[str, float] = {}
    failures: list[BaseException] = []

    def body(i: int) -> None:
        try:
            step = make_step(i)
            for _ in range(WARMUP_STEPS):
                try:
                    step()
                except InsufficientBalance:
                    pass
        except BaseException as exc:  # noqa: BLE001 - reported by the parent
            failures.append(exc)
            ready.abort()
            return
        ready.wait()
        go.wait()
        start, deadline = clock["start"], clock["deadline"]
        while time.time() < start:
            time.sleep(0.0005)
        s = stats[i]
        perf = time.perf_counter
        while time.time() < deadline:
            t0 = perf()
            try:
                outcome = step()
            except InsufficientBalance:
                s.refused += 1
                continue
            except Exception as exc:  # noqa: BLE001 - counted, a few kept
                s.errors += 1
                if len(s.error_samples) < 3:
                    s.error_samples.append(f"{type(exc).__name__}: {str(exc)[:200]}")
                continue
            if outcome == "ok":
                s.latencies.append(perf() - t0)
            else:
                s.refused += 1
        s.ended_at = time.time()

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(nthreads)]
    for t in threads:
        t.start()
    try:
        ready.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"worker set-up failed: {failures[0]!r}") from failures[0]
    start = wait_for_start() if wait_for_start else time.time() + 0.05
    clock["start"], clock["deadline"] = start, start + seconds
    go.set()
    for t in threads:
        t.join()
    wall = max(s.ended_at for s in stats) - start
    return wall, stats


# --- gongji workers -----------------------------------------------------------------------------


def gongji_step(gj: Gongji, n_personal: int, n_pools: int, prefix: str, seed: int) -> Step:
    rng = random.Random(seed)
    counter = iter(range(1, 1 << 62))

    def step() -> str:
        pid = rng.randint(1, n_personal)
        source, target = L.personal_current(pid), pool_code(rng.randint(1, n_pools))
        amount = rng.randint(1, MAX_DEBIT_FEN)
        draft = L.TransactionDraft(
            idempotency_key=f"{prefix}:{next(counter)}",
            kind="bench.debit",
            narration="基准测试扣款",
            postings=L.transfer(source, target, amount),
        )
        request = {"op": "bench.debit", "source": source, "target": target, "amount_fen": amount}

        def use_case(uow: Any) -> ledger.PostResult:
            result = ledger.post(uow, draft, request=request, now=gj.clock.now())
            uow.commit()
            return result

        gj.run(use_case)
        return "ok"

    return step


def bench_settings(url: str, log_file: Path) -> Settings:
    return Settings(database_url=url, log_file=log_file, token_ttl_minutes=60, province="gansu", profiles_dir=None)


def _mp_child(
    url: str,
    log_file: str,
    index: int,
    threads: int,
    seconds: float,
    n_personal: int,
    n_pools: int,
    run_tag: str,
    ready_q: Any,
    go_event: Any,
    start_at: Any,
    out_q: Any,
) -> None:
    try:
        gj = bootstrap(bench_settings(url, Path(log_file)))

        def wait_for_start() -> float:
            ready_q.put(index)
            go_event.wait()
            return float(start_at.value)

        wall, stats = run_threads(
            lambda i: gongji_step(gj, n_personal, n_pools, f"{run_tag}:p{index}:t{i}", 1000 * index + i),
            threads,
            seconds,
            wait_for_start,
        )
        out_q.put((index, [asdict(s) for s in stats], None))
        gj.engine.dispose()
    except BaseException as exc:  # noqa: BLE001
        ready_q.put(index)
        out_q.put((index, [], repr(exc)))


def run_gongji_processes(
    url: str, log_file: Path, procs: int, threads: int, seconds: float, n_personal: int, n_pools: int, run_tag: str
) -> tuple[float, list[WorkerStats], list[str]]:
    ctx = mp.get_context("spawn")
    ready_q, out_q = ctx.Queue(), ctx.Queue()
    go_event, start_at = ctx.Event(), ctx.Value("d", 0.0)
    children = [
        ctx.Process(
            target=_mp_child,
            args=(
                url,
                str(log_file),
                k,
                threads,
                seconds,
                n_personal,
                n_pools,
                run_tag,
                ready_q,
                go_event,
                start_at,
                out_q,
            ),
        )
        for k in range(procs)
    ]
    for c in children:
        c.start()
    for _ in children:
        ready_q.get(timeout=120)
    start_at.value = time.time() + 0.2
    go_event.set()
    stats: list[WorkerStats] = []
    problems: list[str] = []
    for _ in children:
        _, rows, problem = out_q.get(timeout=seconds + 120)
        stats.extend(WorkerStats(**r) for r in rows)
        if problem:
            problems.append(problem)
    for c in children:
        c.join(timeout=30)
    wall = (max(s.ended_at for s in stats) - start_at.value) if stats else 0.0
    return wall, stats, problems


# --- seeding: bulk rows that keep the ledger invariants -------------------------------------------


def seed_ledger(gj: Gongji, n_personal: int, n_pools: int, postgres: bool) -> dict[str, int]:
    """Persons, personal accounts, a funding account and pools; each funded account gets a
    balanced 2-posting ledger transaction (external → personal), written as bulk rows."""
    now = gj.clock.now()
    persons, personal_accounts, accounts, txns, postings = [], [], [], [], []
    accounts.append(
        {
            "id": 1,
            "code": FUNDING_ACCOUNT,
            "kind": L.AccountKind.EXTERNAL.value,
            "person_id": None,
            "region_code": REGION,
            "non_negative": False,
            "opening_fen": 0,
            "balance_fen": 0,
            "created_at": now,
        }
    )
    running = 0
    for pid in range(1, n_personal + 1):
        persons.append(
            {
                "id": pid,
                "cert_type": "01",  # 2201/2207 find a person by ID card (mdtrt_cert_type 02) among cert_type 01
                "cert_no": f"BENCH{pid:012d}",
                "cert_tail": f"{pid:012d}"[-4:],  # kept by the model on ORM writes; a bulk insert sets it
                "name": f"基准{pid}",
                "sex": "9",
                "birth_date": None,
                "phone": None,
                "hukou_region": REGION,
                "created_at": now,
            }
        )
        personal_accounts.append({"id": pid, "person_id": pid, "status": "normal", "opened_on": now.date()})
        funded = pid % UNFUNDED_EVERY != 0
        amount = FUND_FEN if funded else 0
        code = L.personal_current(pid)
        accounts.append(
            {
                "id": personal_id(pid),
                "code": code,
                "kind": L.AccountKind.PERSONAL.value,
                "person_id": pid,
                "region_code": REGION,
                "non_negative": True,
                "opening_fen": 0,
                "balance_fen": amount,
                "created_at": now,
            }
        )
        if not funded:
            continue
        running -= amount
        key = f"bench:fund:{pid}"
        request = {"op": "bench.fund", "person_id": pid, "amount_fen": amount}
        lines = [
            {"account": FUNDING_ACCOUNT, "amount_fen": -amount, "balance_fen": running},
            {"account": code, "amount_fen": amount, "balance_fen": amount},
        ]
        body = {
            "txn_id": pid,
            "idempotency_key": key,
            "kind": "bench.fund",
            "narration": "基准测试注资",
            "created_at": now.isoformat(),
            "postings": lines,
        }
        txns.append(
            {
                "id": pid,
                "idempotency_key": key,
                "request_hash": L.request_hash(request),
                "kind": "bench.fund",
                "narration": "基准测试注资",
                "reverses_txn_id": None,
                "user_id": None,
                "created_at": now,
                "result_json": json.dumps(body, ensure_ascii=False, sort_keys=True),
            }
        )
        postings.append(
            {"id": 2 * pid - 1, "txn_id": pid, "account_id": 1, "amount_fen": -amount, "balance_after_fen": running}
        )
        postings.append(
            {
                "id": 2 * pid,
                "txn_id": pid,
                "account_id": personal_id(pid),
                "amount_fen": amount,
                "balance_after_fen": amount,
            }
        )
    accounts[0]["balance_fen"] = running
    for j in range(1, n_pools + 1):
        accounts.append(
            {
                "id": pool_id(n_personal, j),
                "code": pool_code(j),
                "kind": L.AccountKind.FUND.value,
                "person_id": None,
                "region_code": REGION,
                "non_negative": True,
                "opening_fen": 0,
                "balance_fen": 0,
                "created_at": now,
            }
        )
    with gj.engine.begin() as conn:
        for model, rows in (
            (Person, persons),
            (PersonalAccount, personal_accounts),
            (LedgerAccount, accounts),
            (LedgerTxn, txns),
            (LedgerPosting, postings),
        ):
            for k in range(0, len(rows), 5000):
                conn.execute(insert(model.__table__), rows[k : k + 5000])
        if postgres:
            for model, rows in (
                (Person, persons),
                (PersonalAccount, personal_accounts),
                (LedgerAccount, accounts),
                (LedgerTxn, txns),
                (LedgerPosting, postings),
            ):
                name = model.__table__.name
                conn.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :v)"),
                    {"v": max(r["id"] for r in rows)},
                )
    return {
        "persons": len(persons),
        "accounts": len(accounts),
        "funding_txns": len(txns),
        "funding_postings": len(postings),
        "unfunded_personal": n_personal - len(txns),
    }


def ledger_check(gj: Gongji) -> dict[str, Any]:
    with gj.uow() as uow:
        c = ledger.check_ledger(uow)
    return {
        "ok": c.ok,
        "transactions": c.transactions,
        "postings": c.postings,
        "total_fen": c.total_fen,
        "unbalanced_txns": c.unbalanced_txns[:5],
        "drifted_accounts": c.drifted_accounts[:5],
        "negative_accounts": c.negative_accounts[:5],
    }


# --- PostgreSQL -----------------------------------------------------------------------------------


def pgbench(port: int, clients: int, seconds: float, *, db: str = "postgres") -> tuple[RunResult, str]:
    cmd = [
        "pgbench",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        "postgres",
        "-c",
        str(clients),
        "-j",
        str(min(2, clients)),
        "-T",
        str(int(seconds)),
        db,
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
    lat = re.search(r"latency average = ([\d.]+) ms", out)
    processed = re.search(r"number of transactions actually processed: (\d+)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    return RunResult(
        name=f"pgbench tpcb-like, {clients} client{'s' if clients > 1 else ''}",
        database="postgresql",
        driver="pgbench (C, libpq)",
        clients=clients,
        processes=1,
        seconds=seconds,
        committed=int(processed.group(1)) if processed else 0,
        errors=int(failed.group(1)) if failed else 0,
        tps=round(tps, 1),
        latency_avg_ms=float(lat.group(1)) if lat else None,
        note="built-in TPC-B-like: 3 UPDATE + 1 SELECT + 1 INSERT per transaction; "
        "pgbench reports only the average latency",
    ), " ".join(shlex.quote(c) for c in cmd)


def raw_pg_step(dsn: str, n_personal: int, n_pools: int, prefix: str, seed: int) -> Step:
    """The same debit without the ORM: conditional debit, credit, txn row, 2 postings, commit."""
    import psycopg

    conn = psycopg.connect(dsn)
    rng = random.Random(seed)
    counter = iter(range(1, 1 << 62))

    def step() -> str:
        pid = rng.randint(1, n_personal)
        j = rng.randint(1, n_pools)
        amount = rng.randint(1, MAX_DEBIT_FEN)
        src, dst = personal_id(pid), pool_id(n_personal, j)
        key = f"{prefix}:{next(counter)}"
        with conn.cursor() as cur:
            cur.execute(
                "UPDATE ledger_account SET balance_fen = balance_fen - %s "
                "WHERE id = %s AND balance_fen >= %s RETURNING balance_fen",
                (amount, src, amount),
            )
            row = cur.fetchone()
            if row is None:
                conn.rollback()
                return "refused"
            cur.execute(
                "UPDATE ledger_account SET balance_fen = balance_fen + %s WHERE id = %s RETURNING balance_fen",
                (amount, dst),
            )
            (credit_after,) = cur.fetchone()
            cur.execute(
                "INSERT INTO ledger_txn (idempotency_key, request_hash, kind, narration, created_at, "
                "result_json) VALUES (%s, %s, 'bench.raw', 'raw debit', now(), '{}') RETURNING id",
                (key, key),
            )
            (txn_id,) = cur.fetchone()
            cur.execute(
                "INSERT INTO ledger_posting (txn_id, account_id, amount_fen, balance_after_fen) "
                "VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)",
                (txn_id, src, -amount, row[0], txn_id, dst, amount, credit_after),
            )
        conn.commit()
        return "ok"

    return step


def count_pg_statements(
    cluster: pg_cluster.PgCluster, url: str, log_file: Path, n_personal: int, n_pools: int
) -> dict[str, Any]:
    """Log every statement of one database for a few debits and count them per debit."""
    import psycopg

    admin = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute("ALTER DATABASE gongji SET log_statement = 'all'")
    log_path = cluster.directory / "pg.log"
    gj = bootstrap(bench_settings(url, log_file))
    logs: list[str] = []
    try:
        step = gongji_step(gj, n_personal, n_pools, "bench:count", 7)
        step()  # connect + warm up (pool, prepared statements)
        tries = 0
        while len(logs) < 3 and tries < 20:  # three committed debits, each logged on its own
            tries += 1
            time.sleep(0.2)
            before = log_path.stat().st_size
            try:
                step()
            except InsufficientBalance:
                continue
            time.sleep(0.2)
            with open(log_path, encoding="utf-8", errors="replace") as f:
                f.seek(before)
                logs.append(f.read())
    finally:
        gj.engine.dispose()
        with psycopg.connect(admin, autocommit=True) as c:
            c.execute("ALTER DATABASE gongji RESET log_statement")
    counts = [len(re.findall(r"LOG:  (?:statement|execute [^:]*): ", log)) for log in logs]
    example = [re.sub(r"\s+", " ", s)[:120] for s in re.findall(r"LOG:  (?:statement|execute [^:]*): (.*)", logs[0])]
    return {
        "statements_per_debit": counts[0] if len(set(counts)) == 1 else counts,
        "debits_logged": len(logs),
        "example": example,
    }


def run_postgres(args: argparse.Namespace, params: dict[str, Any], tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"runs": [], "commands": {}}
    cluster = pg_cluster.start()
    try:
        out["settings"] = (
            "throwaway cluster from gongji.devtools.pg_cluster: fsync=off, synchronous_commit=off, "
            "full_page_writes=off, shared_buffers default (128MB), loopback TCP"
        )
        admin = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
        import psycopg

        with psycopg.connect(admin) as c:
            out["server_version"] = c.execute("SHOW server_version").fetchone()[0]
        say(f"PostgreSQL {out['server_version']} on port {cluster.port}: pgbench -i -s {params['pgbench_scale']}")
        init = [
            "pgbench",
            "-i",
            "-q",
            "-s",
            str(params["pgbench_scale"]),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "postgres",
        ]
        t0 = time.time()
        subprocess.run(init, check=True, capture_output=True, text=True)
        out["pgbench_init_seconds"] = round(time.time() - t0, 2)
        for clients in (args.clients, 1):
            say(f"pgbench tpcb-like -c {clients} -T {args.seconds:g}")
            r, cmd = pgbench(cluster.port, clients, args.seconds)
            out["runs"].append(asdict(r))
            out["commands"][r.name] = cmd
            say(f"  {r.tps:,.0f} tps")

        url = cluster.create_database("gongji")
        upgrade(url)
        log_file = tmp / "gongji-bench.log"
        gj = bootstrap(bench_settings(url, log_file))
        t0 = time.time()
        out["seed"] = seed_ledger(gj, args.personal, args.pools, postgres=True)
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
        out["seed"]["seconds"] = round(time.time() - t0, 2)
        say(f"gongji database seeded: {out['seed']}")
        n, p = args.personal, args.pools

        def checkpoint() -> None:
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute("CHECKPOINT")

        for threads in (1, args.clients):
            checkpoint()
            say(f"gongji ledger.post, {threads} thread(s), 1 process")
            wall, stats = run_threads(
                lambda i, t=threads: gongji_step(gj, n, p, f"bench:pg:t{t}:w{i}", 100 + i), threads, args.seconds
            )
            r = summarize(
                f"gongji post(), {threads} thread{'s' if threads > 1 else ''} x 1 process",
                "postgresql",
                "gongji (SQLAlchemy ORM, psycopg 3)",
                threads,
                1,
                wall,
                stats,
                "threads share one GIL; SQLAlchemy pool 10+10",
            )
            record(out, r)
        gj.engine.dispose()

        procs = max(1, min(args.procs, args.clients))
        per = max(1, args.clients // procs)
        checkpoint()
        say(f"gongji ledger.post, {procs} processes x {per} threads")
        wall, stats, problems = run_gongji_processes(url, log_file, procs, per, args.seconds, n, p, "bench:pg:mp")
        r = summarize(
            f"gongji post(), {procs} processes x {per} threads",
            "postgresql",
            "gongji (SQLAlchemy ORM, psycopg 3)",
            procs * per,
            procs,
            wall,
            stats,
            "one GIL per process (multiprocessing, spawn)",
        )
        r.error_samples.extend(problems)
        record(out, r)

        checkpoint()
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        say(f"raw psycopg debit on the gongji schema, {args.clients} threads")
        wall, stats = run_threads(
            lambda i: raw_pg_step(dsn, n, p, f"bench:raw:w{i}", 500 + i), args.clients, args.seconds
        )
        r = summarize(
            f"raw psycopg debit, {args.clients} threads x 1 process",
            "postgresql",
            "psycopg 3, hand-written SQL",
            args.clients,
            1,
            wall,
            stats,
            "reference only: 5 statements + commit, no idempotency lookup, no ORM",
        )
        record(out, r)

        gj = bootstrap(bench_settings(url, log_file))
        out["check_ledger"] = ledger_check(gj)
        gj.engine.dispose()
        say(f"check_ledger: ok={out['check_ledger']['ok']}")
        out["statement_count"] = count_pg_statements(cluster, url, log_file, n, p)
        say(f"statements per post() debit: {out['statement_count']['statements_per_debit']:g}")

        pgb = next(x for x in out["runs"] if x["driver"].startswith("pgbench") and x["clients"] == args.clients)
        pgb1 = next(x for x in out["runs"] if x["driver"].startswith("pgbench") and x["clients"] == 1)
        gongji = [x for x in out["runs"] if x["driver"].startswith("gongji") and x["clients"] == args.clients]
        best = max(gongji, key=lambda x: x["tps"])
        single = next(x for x in out["runs"] if x["driver"].startswith("gongji") and x["clients"] == 1)
        raw = next(x for x in out["runs"] if x["driver"].startswith("psycopg"))
        out["headline"] = {
            "gongji_run": best["name"],
            "gongji_tps": best["tps"],
            "pgbench_run": pgb["name"],
            "pgbench_tps": pgb["tps"],
            "ratio": round(best["tps"] / pgb["tps"], 3),
        }
        out["ratios"] = {
            **{f"{g['name']} / {pgb['name']}": round(g["tps"] / pgb["tps"], 3) for g in gongji},
            f"{single['name']} / {pgb1['name']}": round(single["tps"] / pgb1["tps"], 3),
            f"{raw['name']} / {pgb['name']}": round(raw["tps"] / pgb["tps"], 3),
            f"{best['name']} / {raw['name']}": round(best["tps"] / raw["tps"], 3),
        }
    finally:
        cluster.stop()
    return out


# --- SQLite ---------------------------------------------------------------------------------------


PLAIN_SCHEMA = """
CREATE TABLE account (
    id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, non_negative INTEGER NOT NULL,
    opening INTEGER NOT NULL DEFAULT 0, balance INTEGER NOT NULL,
    CHECK (NOT non_negative OR balance >= 0));
CREATE TABLE posting (
    id INTEGER PRIMARY KEY, txn_key TEXT NOT NULL, account_id INTEGER NOT NULL REFERENCES account(id),
    amount INTEGER NOT NULL, balance_after INTEGER NOT NULL);
CREATE INDEX ix_posting_account ON posting(account_id);
"""


def plain_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def plain_seed(path: Path, n_personal: int, n_pools: int) -> None:
    conn = plain_connect(path)
    conn.executescript(PLAIN_SCHEMA)
    # The funding is recorded as opening balances here (the baseline keeps no funding postings).
    funding = -FUND_FEN * sum(1 for p in range(1, n_personal + 1) if p % UNFUNDED_EVERY != 0)
    rows = [(1, FUNDING_ACCOUNT, 0, funding, funding)]
    rows += [
        (
            personal_id(p),
            L.personal_current(p),
            1,
            0 if p % UNFUNDED_EVERY == 0 else FUND_FEN,
            0 if p % UNFUNDED_EVERY == 0 else FUND_FEN,
        )
        for p in range(1, n_personal + 1)
    ]
    rows += [(pool_id(n_personal, j), pool_code(j), 1, 0, 0) for j in range(1, n_pools + 1)]
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO account (id, code, non_negative, opening, balance) VALUES (?, ?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    conn.close()


def plain_step(path: Path, n_personal: int, n_pools: int, prefix: str, seed: int) -> Step:
    conn = plain_connect(path)
    rng = random.Random(seed)
    counter = iter(range(1, 1 << 62))

    def step() -> str:
        pid = rng.randint(1, n_personal)
        src, dst = personal_id(pid), pool_id(n_personal, rng.randint(1, n_pools))
        amount = rng.randint(1, MAX_DEBIT_FEN)
        key = f"{prefix}:{next(counter)}"
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "UPDATE account SET balance = balance - ? WHERE id = ? AND balance >= ? RETURNING balance",
                (amount, src, amount),
            ).fetchone()
            if row is None:
                conn.execute("ROLLBACK")
                return "refused"
            (credit_after,) = conn.execute(
                "UPDATE account SET balance = balance + ? WHERE id = ? RETURNING balance", (amount, dst)
            ).fetchone()
            conn.execute(
                "INSERT INTO posting (txn_key, account_id, amount, balance_after) VALUES (?, ?, ?, ?)",
                (key, src, -amount, row[0]),
            )
            conn.execute(
                "INSERT INTO posting (txn_key, account_id, amount, balance_after) VALUES (?, ?, ?, ?)",
                (key, dst, amount, credit_after),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return "ok"

    return step


def plain_check(path: Path) -> dict[str, Any]:
    conn = plain_connect(path)
    total = conn.execute("SELECT coalesce(sum(amount), 0) FROM posting").fetchone()[0]
    unbalanced = conn.execute(
        "SELECT count(*) FROM (SELECT txn_key FROM posting GROUP BY txn_key HAVING sum(amount) != 0)"
    ).fetchone()[0]
    drifted = conn.execute(
        "SELECT count(*) FROM account a LEFT JOIN (SELECT account_id, sum(amount) s FROM posting "
        "GROUP BY account_id) p ON p.account_id = a.id "
        "WHERE a.balance != a.opening + coalesce(p.s, 0)"
    ).fetchone()[0]
    negative = conn.execute("SELECT count(*) FROM account WHERE non_negative AND balance < 0").fetchone()[0]
    conn.close()
    return {
        "ok": total == 0 and unbalanced == 0 and drifted == 0 and negative == 0,
        "postings_total": total,
        "unbalanced": unbalanced,
        "drifted": drifted,
        "negative": negative,
    }


def run_sqlite(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "runs": [],
        "settings": "file databases, WAL, synchronous=NORMAL, BEGIN IMMEDIATE, "
        "busy_timeout 30 s; gongji's engine uses NullPool for files",
    }
    n, p = args.personal, args.pools
    plain_db, gongji_db = tmp / "plain.sqlite3", tmp / "gongji.sqlite3"
    plain_seed(plain_db, n, p)
    url = f"sqlite:///{gongji_db}"
    upgrade(url)
    gj = bootstrap(bench_settings(url, tmp / "gongji-bench.log"))
    out["seed"] = seed_ledger(gj, n, p, postgres=False)
    thread_counts = (1, 4)
    for threads in thread_counts:
        say(f"SQLite plain sqlite3 loop, {threads} thread(s)")
        wall, stats = run_threads(
            lambda i, t=threads: plain_step(plain_db, n, p, f"plain:t{t}:w{i}", 900 + i), threads, args.seconds
        )
        r = summarize(
            f"plain sqlite3 debit, {threads} thread{'s' if threads > 1 else ''}",
            "sqlite",
            "sqlite3 (stdlib), hand-written SQL",
            threads,
            1,
            wall,
            stats,
            "BEGIN IMMEDIATE; conditional debit; credit; 2 posting INSERTs; COMMIT",
        )
        record(out, r)
    for threads in thread_counts:
        say(f"SQLite gongji ledger.post, {threads} thread(s)")
        wall, stats = run_threads(
            lambda i, t=threads: gongji_step(gj, n, p, f"bench:sqlite:t{t}:w{i}", 300 + i), threads, args.seconds
        )
        r = summarize(
            f"gongji post(), {threads} thread{'s' if threads > 1 else ''}",
            "sqlite",
            "gongji (SQLAlchemy ORM, sqlite3)",
            threads,
            1,
            wall,
            stats,
            "one GIL; a new sqlite3 connection per unit of work (NullPool)",
        )
        record(out, r)
    out["check_ledger"] = ledger_check(gj)
    out["plain_check"] = plain_check(plain_db)
    gj.engine.dispose()
    say(f"check_ledger: ok={out['check_ledger']['ok']}; plain check ok={out['plain_check']['ok']}")
    by = {(x["driver"].split()[0], x["clients"]): x for x in out["runs"]}
    out["ratios"] = {
        f"gongji/plain, {t} thread{'s' if t > 1 else ''}": round(
            by[("gongji", t)]["tps"] / by[("sqlite3", t)]["tps"], 3
        )
        for t in thread_counts
    }
    return out


# --- machine info, output -------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    import psycopg
    import sqlalchemy

    def version(cmd: list[str]) -> str | None:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "mem_gib": mem_gib,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "psycopg": psycopg.__version__,
        "libpq": psycopg.pq.version(),
        "postgres": version([str(pg_cluster.PG_BIN / "postgres"), "--version"]),
        "pgbench": version(["pgbench", "--version"]),
    }


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the measured sources differ from it (read-only git)."""

    def git(*a: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True, check=True)
            return done.stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return None

    changed = git("status", "--porcelain", "--", "src")
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "src_uncommitted_changes": bool(changed) if changed is not None else None,
        "ledger_py_sha256": _sha256(ROOT / "src" / "gongji" / "services" / "ledger.py"),
    }


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


_console = None


def say(msg: str) -> None:
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True)
    _console.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {msg}", highlight=False, soft_wrap=True)


def fmt_ms(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}"


def runs_table(
    report: dict[str, Any], title: str, *, tps_format: str = ",.0f", cores: bool = False
) -> Any:  # rich Table
    """One row per timed run of each database: tps, latency, committed / refused / errors; with
    ``cores``, the CPU cores used by server / PostgreSQL / client from ``section["cpu"]``."""
    from rich.table import Table

    table = Table(title=title)
    cols = ["database", "run", "tps", "avg ms", "p50 ms", "p99 ms", "committed", "refused", "errors"]
    for col in cols + (["cores s/pg/c"] if cores else []):
        table.add_column(col, justify="left" if col in {"database", "run"} else "right")
    for db in ("postgresql", "postgresql_unsafe", "sqlite"):
        section = report.get(db, {})
        for r in section.get("runs", []):
            row = [
                db,
                r["name"],
                format(r["tps"], tps_format),
                fmt_ms(r["latency_avg_ms"]),
                fmt_ms(r["latency_p50_ms"]),
                fmt_ms(r["latency_p99_ms"]),
                f"{r['committed']:,}",
                f"{r['refused']:,}",
                f"{r['errors']:,}",
            ]
            if cores:
                cpu = section.get("cpu", {}).get(r["name"], {})
                client = "client_cores" if "client_cores" in cpu else "pgbench_cores"
                row.append("/".join(str(cpu.get(k, "—")) for k in ("server_cores", "postgres_cores", client)))
            table.add_row(*row)
    return table


def ratios_table(report: dict[str, Any], *, sqlite_digits: int = 3) -> Any:  # rich Table
    """The headline ratio (PostgreSQL, against pgbench in the same run) and the others."""
    from rich.table import Table

    ratios = Table(title="Ratios (tps / tps)")
    ratios.add_column("ratio")
    ratios.add_column("value", justify="right")
    if "postgresql" in report:
        h = report["postgresql"]["headline"]
        target = f" (target {h['target']})" if "target" in h else ""
        ratios.add_row(
            f"[bold]HEADLINE PostgreSQL: {h['gongji_run']} / {h['pgbench_run']}{target}[/bold]",
            f"[bold]{h['ratio']:.3f}[/bold]",
        )
        for k, v in report["postgresql"]["ratios"].items():
            ratios.add_row(f"PostgreSQL: {k}", f"{v:.3f}")
    if "postgresql_unsafe" in report:
        for k, v in report["postgresql_unsafe"]["ratios"].items():
            ratios.add_row(f"PostgreSQL NOT durable (fsync off): {k}", f"{v:.3f}")
    for k, v in report.get("sqlite", {}).get("ratios", {}).items():
        ratios.add_row(f"SQLite: {k}", f"{v:.{sqlite_digits}f}")
    return ratios


def write_results(report: dict[str, Any], *, name: str, started: datetime, quick: bool) -> None:
    """bench/results/<name>-<UTC stamp>[-quick].json, and <name>-latest.json for a full run (a
    --quick smoke run never replaces the last full run's figures)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    targets = [RESULTS_DIR / f"{name}-{stamp}{'-quick' if quick else ''}.json"]
    if not quick:
        targets.append(RESULTS_DIR / f"{name}-latest.json")
    report["written"] = [str(t.relative_to(ROOT)) for t in targets]
    payload = json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n"
    for t in targets:
        t.write_text(payload, encoding="utf-8")


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console() if sys.stdout.isatty() else Console(width=150)
    title = (
        f"Ledger debit benchmark ({report['parameters']['seconds']:g} s runs, "
        f"{report['machine']['nproc']} cores, {report['machine']['cpu_model']})"
    )
    console.print(runs_table(report, title))
    console.print(ratios_table(report))
    if "postgresql" in report:
        pg = report["postgresql"]
        console.print(
            f"PostgreSQL check_ledger ok: {pg['check_ledger']['ok']} "
            f"({pg['check_ledger']['transactions']:,} txns, {pg['check_ledger']['postings']:,} postings); "
            f"statements per post() debit: {pg['statement_count']['statements_per_debit']:g}"
        )
    if "sqlite" in report:
        sq = report["sqlite"]
        console.print(
            f"SQLite check_ledger ok: {sq['check_ledger']['ok']}; plain baseline check ok: {sq['plain_check']['ok']}"
        )
    console.print(f"Written: {report.get('written')}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each timed run (default 10)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent clients/threads (default 16)")
    ap.add_argument("--procs", type=int, default=2, help="processes for the multi-process variant (default 2)")
    ap.add_argument("--personal", type=int, default=10_000, help="personal accounts (default 10,000)")
    ap.add_argument("--pools", type=int, default=100, help="pool (fund) accounts receiving credits (default 100)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 3 s runs, 1,000 personal accounts, 20 pools")
    ap.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    ap.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/*.json")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 3.0)
        args.personal = min(args.personal, 1_000)
        args.pools = min(args.pools, 20)
    exe = os.path.relpath(sys.executable) if sys.executable.startswith(str(ROOT)) else sys.executable
    command = " ".join(
        shlex.quote(a) for a in [exe, "bench/ledger_bench.py", *(argv if argv is not None else sys.argv[1:])]
    )
    params = {
        "seconds": args.seconds,
        "clients": args.clients,
        "procs": args.procs,
        "personal_accounts": args.personal,
        "pool_accounts": args.pools,
        "quick": args.quick,
        "pgbench_scale": 10,
        "debit_amount_fen": f"uniform 1..{MAX_DEBIT_FEN}",
        "funded_personal_fen": FUND_FEN,
        "unfunded_personal": f"every {UNFUNDED_EVERY}th personal account (its debits are refused)",
        "warmup_debits_per_worker": WARMUP_STEPS,
    }
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "benchmark": "ledger-debit",
        "started_utc": started.isoformat(timespec="seconds"),
        "command": command,
        "cwd": str(Path.cwd()),
        "code": code_version(),
        "machine": machine_info(),
        "parameters": params,
    }
    tmp = Path(tempfile.mkdtemp(prefix="gongji-bench-"))
    try:
        if not args.skip_postgres:
            if not pg_cluster.available():
                raise SystemExit("PostgreSQL 15 binaries not found; run `make services` or pass --skip-postgres")
            report["postgresql"] = run_postgres(args, params, tmp)
        if not args.skip_sqlite:
            report["sqlite"] = run_sqlite(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    if not args.no_write:
        write_results(report, name="ledger", started=started, quick=args.quick)
    print_report(report)
    ok = all(report[db]["check_ledger"]["ok"] for db in ("postgresql", "sqlite") if db in report)
    ok = ok and report.get("sqlite", {}).get("plain_check", {}).get("ok", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
