#!/usr/bin/env python
"""Fault run (issue 18): kill -9 of the server and of PostgreSQL under 2207 load; nothing lost, nothing twice.

    python bench/fault_bench.py [--quick] [--clients 6] [--workers 2] [--server-kills 3] [--pg-kills 3]

A durable throwaway PostgreSQL (``pg_cluster.start(durable=True)``: fsync, synchronous_commit and
full_page_writes on), the bench persons, hospitals and open visits of ``settlement_bench``, and
``gongji serve --workers W`` on a fixed port. CLIENTS threads each settle their own visits with
2207 (real envelopes, gateway signatures) like a HIS: on a connection error, a timeout or an HTTP
5xx they send the SAME envelope again (same msgid, so the same idempotency key) until they get an
answer; an answer with infcode 0 is *acknowledged*.

Meanwhile, in turn, the bench kills with SIGKILL either the whole server process tree (uvicorn
supervisor and workers) or the PostgreSQL postmaster (its backends are killed too if they do
not exit by themselves), then starts it again on the same port / data directory (PostgreSQL
runs crash recovery). Recovery time = kill → the first acknowledged 2207 sent after the kill.

At the end, with the server stopped:
  * every acknowledged 2207 is in ``settlement`` exactly once (by institution + msgid) with the
    answer's setl_id and amounts; no visit has two settlements in force;
  * no double debit: each settlement's account transaction takes from personal/family accounts
    exactly acct_pay + acct_mulaid_pay, its fund transaction pays hifp_pay; every ledger
    transaction of a settlement belongs to one settlement row; each person's account balance is
    the funded amount less the acct_pay of their settlements;
  * ``gongji check-ledger`` (the CLI, as a subprocess) exits 0; no account is negative.
Exit code 1 if any check fails. Result: bench/results/fault-<UTC>[-quick].json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
for _p in (ROOT / "src", ROOT / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import httpx2 as httpx  # noqa: E402
import ledger_bench as LB  # noqa: E402
import settlement_bench as SB  # noqa: E402

from gongji.adapters.db.migrate import upgrade  # noqa: E402
from gongji.adapters.nhsa.client import HisClient  # noqa: E402
from gongji.bootstrap import bootstrap  # noqa: E402
from gongji.devtools import pg_cluster  # noqa: E402
from gongji.entrypoints import his_simulator as sim  # noqa: E402

say = LB.say
RETRY_PAUSE_S = 0.2
HTTP_TIMEOUT_S = 10.0


# --- the HIS-like clients -------------------------------------------------------------------------------


@dataclass
class Tally:
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # msgid → what the answer said
    refused: dict[str, str] = field(default_factory=dict)  # msgid → err_msg (a final answer, not retried)
    failed_attempts: int = 0  # connection errors, timeouts, 5xx: sent again with the same msgid
    retried_acks: int = 0  # acknowledged after at least one failed attempt
    abandoned: list[str] = field(default_factory=list)  # still unanswered when the run ended


class Load:
    def __init__(self, url: str, hospitals: list[SB.Hospital], jobs: list[list[SB.Job]]) -> None:
        self.url, self.hospitals, self.jobs = url, hospitals, jobs
        self.stop = threading.Event()
        self.tallies = [Tally() for _ in hospitals]
        self.ack_times: list[tuple[float, float]] = []  # (sent, answered) of every acknowledged attempt
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, args=(i,), daemon=True) for i in range(len(hospitals))]

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def join(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=HTTP_TIMEOUT_S * 3)

    def client(self, i: int) -> None:
        h, tally = self.hospitals[i], self.tallies[i]
        http = httpx.Client(base_url=self.url, timeout=HTTP_TIMEOUT_S)
        his = HisClient(http=http, fixmedins_code=h.code, fixmedins_name=h.name, region=SB.REGION, key=h.key)
        for job in self.jobs[i]:
            if self.stop.is_set():
                return
            msgid, body, attempts = his.next_msgid(), SB.settle_body(his, job), 0
            while True:
                attempts += 1
                sent = time.time()
                try:
                    answer = his.call("2207", body, msgid=msgid)
                except (httpx.HTTPError, ValueError):
                    tally.failed_attempts += 1
                    if self.stop.is_set():
                        tally.abandoned.append(msgid)
                        return
                    time.sleep(RETRY_PAUSE_S)
                    continue
                if answer.get("infcode") == 0:
                    info = answer["output"]["setlinfo"]
                    tally.acked[msgid] = {
                        "code": h.code,
                        "visit_id": job.visit_id,
                        "person_id": job.person_id,
                        "setl_id": str(info.get("setl_id")),
                        "acct_pay_fen": sim.fen(info.get("acct_pay")),
                        "acct_mulaid_pay_fen": sim.fen(info.get("acct_mulaid_pay")),
                        "hifp_pay_fen": sim.fen(info.get("hifp_pay")),
                        "adds_up": SB.adds_up(info),
                    }
                    tally.retried_acks += attempts > 1
                    with self.lock:
                        self.ack_times.append((sent, time.time()))
                else:
                    tally.refused[msgid] = str(answer.get("err_msg"))
                break

    def first_ack_sent_after(self, t: float) -> float | None:
        """When the first 2207 sent after ``t`` was answered with a success (None: not yet)."""
        with self.lock:
            later = [answered for sent, answered in self.ack_times if sent >= t]
        return min(later) if later else None

    def acked(self) -> int:
        return sum(len(t.acked) for t in self.tallies)


# --- the two processes killed ---------------------------------------------------------------------------


def start_server_on(port: int, url: str, tmp: Path, workers: int, n: int) -> SB.Server:
    gongji = Path(sys.executable).parent / "gongji"
    cmd = [str(gongji), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    env = dict(
        os.environ,
        GONGJI_DATABASE_URL=url,
        GONGJI_LOG_FILE=str(tmp / "server.log"),
        GONGJI_PROVINCE="gansu",
        GONGJI_VAR_DIR=str(tmp / "var"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("GONGJI_PROFILES_DIR", None)
    out_path = tmp / f"server-{n}.out"
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(tmp))
    return SB.Server(proc=proc, url=f"http://127.0.0.1:{port}", command=" ".join(cmd), out_path=out_path)


def kill_tree(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_server(server: SB.Server) -> list[int]:
    pids = [server.proc.pid, *server.descendants()]
    kill_tree(pids)
    server.proc.wait(timeout=10)
    return pids


def pg_children(pm: int) -> list[int]:
    return [pid for pid, (ppid, _) in SB._proc_table().items() if ppid == pm]


def kill_postgres(cluster: pg_cluster.PgCluster) -> dict[str, Any]:
    """SIGKILL the postmaster; its backends notice and exit (or are killed after 15 s); start again."""
    pm = SB.postmaster_pid(cluster)
    assert pm is not None
    kids = pg_children(pm)
    os.kill(pm, signal.SIGKILL)
    deadline = time.time() + 15
    alive = lambda: [p for p in kids if Path(f"/proc/{p}").exists()]  # noqa: E731
    while alive() and time.time() < deadline:
        time.sleep(0.1)
    leftover = alive()
    kill_tree(leftover)
    while alive():
        time.sleep(0.05)
    return {"postmaster": pm, "backends": len(kids), "backends_killed_after_15s": len(leftover)}


def start_postgres(cluster: pg_cluster.PgCluster) -> None:
    """The options of ``pg_cluster.start(durable=True)`` on the same data directory: crash recovery."""
    options = [
        "-c listen_addresses=127.0.0.1",
        f"-p {cluster.port}",
        f"-k {cluster.directory}",
        *pg_cluster.DURABLE_SETTINGS,
        "-c max_connections=200",
    ]
    data, log = str(cluster.directory / "data"), str(cluster.directory / "pg.log")
    pg_ctl = str(pg_cluster.PG_BIN / "pg_ctl")
    pg_cluster._as_postgres(pg_ctl, "-D", data, "-l", log, "-w", "-t", "120", "start", "-o", " ".join(options))


# --- the checks ----------------------------------------------------------------------------------------


def check(dsn: str, load: Load) -> dict[str, Any]:
    import psycopg

    acked = {(a["code"], m): a for t in load.tallies for m, a in t.acked.items()}
    refused = {(load.hospitals[i].code, m) for i, t in enumerate(load.tallies) for m in t.refused}
    with psycopg.connect(dsn) as c:
        rows = c.execute(
            "SELECT fixmedins_code, msgid, id, visit_id, person_id, acct_pay_fen, acct_mulaid_pay_fen, hifp_pay_fen,"
            " account_txn_id, fund_txn_id FROM settlement WHERE refd_setl_flag = '0'"
        ).fetchall()
        by_msgid: dict[tuple[str, str], list[Any]] = {}
        for r in rows:
            by_msgid.setdefault((r[0], r[1]), []).append(r)
        found = sum(1 for k in acked if len(by_msgid.get(k, [])) == 1)
        missing = [k[1] for k in acked if k not in by_msgid]
        duplicates = [k[1] for k, v in by_msgid.items() if len(v) > 1]
        mismatched = [
            k[1]
            for k, a in acked.items()
            if len(by_msgid.get(k, [])) == 1
            and (
                str(by_msgid[k][0][2]) != a["setl_id"]
                or by_msgid[k][0][3] != a["visit_id"]
                or (by_msgid[k][0][5], by_msgid[k][0][6], by_msgid[k][0][7])
                != (a["acct_pay_fen"], a["acct_mulaid_pay_fen"], a["hifp_pay_fen"])
            )
        ]
        unacked = [k[1] for k in by_msgid if k not in acked]
        refused_but_settled = [k[1] for k in by_msgid if k in refused]
        visits_twice = c.execute(
            "SELECT count(*) FROM (SELECT visit_id FROM settlement WHERE status = 'settled'"
            " GROUP BY visit_id HAVING count(*) > 1) x"
        ).fetchone()
        account_debits_wrong = c.execute(
            "SELECT s.id FROM settlement s LEFT JOIN ledger_posting p ON p.txn_id = s.account_txn_id"
            " LEFT JOIN ledger_account a ON a.id = p.account_id AND a.kind IN ('personal', 'family')"
            " WHERE s.refd_setl_flag = '0' GROUP BY s.id, s.acct_pay_fen, s.acct_mulaid_pay_fen"
            " HAVING COALESCE(-SUM(p.amount_fen) FILTER (WHERE a.id IS NOT NULL), 0)"
            " <> s.acct_pay_fen + s.acct_mulaid_pay_fen"
        ).fetchall()
        fund_wrong = c.execute(
            "SELECT s.id FROM settlement s LEFT JOIN ledger_posting p ON p.txn_id = s.fund_txn_id"
            " WHERE s.refd_setl_flag = '0' GROUP BY s.id, s.hifp_pay_fen"
            " HAVING COALESCE(SUM(p.amount_fen) FILTER (WHERE p.amount_fen > 0), 0) <> s.hifp_pay_fen"
        ).fetchall()
        txn_shared = c.execute(
            "SELECT t FROM (SELECT account_txn_id t FROM settlement WHERE account_txn_id IS NOT NULL"
            " UNION ALL SELECT fund_txn_id FROM settlement WHERE fund_txn_id IS NOT NULL) x"
            " GROUP BY t HAVING count(*) > 1"
        ).fetchall()
        orphan_txns = c.execute(
            "SELECT t.id, t.kind FROM ledger_txn t WHERE t.idempotency_key NOT LIKE 'bench:%' AND NOT EXISTS"
            " (SELECT 1 FROM settlement s WHERE s.account_txn_id = t.id OR s.fund_txn_id = t.id)"
        ).fetchall()
        balance_wrong = c.execute(
            "SELECT a.person_id FROM ledger_account a LEFT JOIN settlement s ON s.person_id = a.person_id"
            " AND s.refd_setl_flag = '0' WHERE a.code LIKE 'personal:%:current'"
            " GROUP BY a.person_id, a.balance_fen HAVING a.balance_fen <> "
            f" (CASE WHEN a.person_id % {LB.UNFUNDED_EVERY} = 0 THEN 0 ELSE {LB.FUND_FEN} END)"
            " - COALESCE(SUM(s.acct_pay_fen), 0)"
        ).fetchall()
        negative = c.execute("SELECT count(*) FROM ledger_account WHERE non_negative AND balance_fen < 0").fetchone()
    problems = {
        "acknowledged_missing": missing[:20],
        "duplicates": duplicates[:20],
        "answer_differs_from_row": mismatched[:20],
        "refused_but_settled": refused_but_settled[:20],
        "visits_settled_twice": visits_twice[0] if visits_twice else None,
        "account_debit_differs": [r[0] for r in account_debits_wrong][:20],
        "fund_payment_differs": [r[0] for r in fund_wrong][:20],
        "ledger_txn_of_two_settlements": [r[0] for r in txn_shared][:20],
        "ledger_txn_without_settlement": [list(r) for r in orphan_txns][:20],
        "person_balance_differs": [r[0] for r in balance_wrong][:20],
        "negative_accounts": negative[0] if negative else None,
        "answers_not_adding_up": sum(1 for a in acked.values() if not a["adds_up"]),
    }
    ok = not any(problems.values())
    return {
        "ok": ok,
        "acknowledged": len(acked),
        "found_exactly_once": found,
        "missing": len(missing),
        "duplicates": len(duplicates),
        "settlements_in_table": len(rows),
        "settled_without_acknowledgement": len(unacked),
        "note_unacknowledged": "settled rows whose answer the client never saw (its last attempt was cut by the "
        "end of the run); each is there once and paid once, so no fen is lost or doubled",
        "refused": len(refused),
        "problems": problems,
    }


def check_ledger_cli(url: str, tmp: Path) -> dict[str, Any]:
    cmd = [str(Path(sys.executable).parent / "gongji"), "check-ledger"]
    env = dict(os.environ, GONGJI_DATABASE_URL=url, GONGJI_PROVINCE="gansu", GONGJI_LOG_FILE=str(tmp / "cli.log"))
    env.pop("GONGJI_PROFILES_DIR", None)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=str(tmp), timeout=300)
    return {"command": "gongji check-ledger", "exit_code": done.returncode, "output": done.stdout.strip()[-800:]}


# --- the run ---------------------------------------------------------------------------------------------


def run(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    import psycopg

    out: dict[str, Any] = {"kills": []}
    cluster = pg_cluster.start(durable=True)
    server: SB.Server | None = None
    load: Load | None = None
    try:
        url = cluster.create_database("gongji")
        dsn = url.replace("+psycopg", "")
        with psycopg.connect(dsn) as c:
            out["database_settings"] = {
                k: c.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
                for k in ("server_version", *SB.PG_SETTINGS_SHOWN)
            }
        upgrade(url)
        gj = bootstrap(LB.bench_settings(url, tmp / "bench-client.log"))
        seed_args = argparse.Namespace(persons=args.persons, seed=1)
        hospitals, jobs, out["seed"] = SB.prepare_gongji(gj, seed_args, args.clients, args.visits, postgres=True)
        gj.engine.dispose()
        say(f"seeded: {out['seed']}")
        port = SB._free_port()
        n_start = 0

        def up() -> SB.Server:
            nonlocal n_start
            n_start += 1
            s = start_server_on(port, url, tmp, args.workers, n_start)
            deadline = time.time() + 90
            while time.time() < deadline:
                try:
                    if httpx.get(s.url + "/healthz", timeout=2).status_code == 200:
                        return s
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            raise RuntimeError(f"server did not come back: {s.out_path.read_text(errors='replace')[-1500:]}")

        server = up()
        out["server_command"] = server.command
        load = Load(server.url, hospitals, jobs)
        load.start()
        t_start = time.time()
        plan = ["server", "postgres"] * max(args.server_kills, args.pg_kills)
        plan = [p for i, p in enumerate(plan) if i // 2 < (args.server_kills if p == "server" else args.pg_kills)]
        for what in plan:
            time.sleep(args.interval)
            before = load.acked()
            killed_at = time.time()
            if what == "server":
                assert server is not None
                pids = kill_server(server)
                info: dict[str, Any] = {"what": "server (uvicorn supervisor + workers)", "pids": pids}
                server = up()
            else:
                info = {"what": "postgres (postmaster)"} | kill_postgres(cluster)
                start_postgres(cluster)
            restarted = time.time() - killed_at
            while load.first_ack_sent_after(killed_at) is None and time.time() - killed_at < args.recovery_limit:
                time.sleep(0.05)
            first = load.first_ack_sent_after(killed_at)
            recovered = round(first - killed_at, 2) if first is not None else None
            info |= {
                "at_s": round(killed_at - t_start, 1),
                "acknowledged_before": before,
                "restart_s": round(restarted, 2),
                "recovery_s": recovered,
            }
            out["kills"].append(info)
            say(f"kill -9 {what}: restarted in {info['restart_s']} s; first 2207 acknowledged after {recovered} s")
        time.sleep(args.interval)
        load.join()
        out["load_seconds"] = round(time.time() - t_start, 1)
        assert server is not None
        server.stop()
        server = None
        out["check"] = check(dsn, load)
        out["check_ledger_cli"] = check_ledger_cli(url, tmp)
        out["clients"] = {
            "failed_attempts_resent_with_same_msgid": sum(t.failed_attempts for t in load.tallies),
            "acknowledged_after_a_resend": sum(t.retried_acks for t in load.tallies),
            "abandoned_at_end": sum(len(t.abandoned) for t in load.tallies),
            "refused_by_message": _count(m for t in load.tallies for m in t.refused.values()),
        }
        out["acknowledged_per_second"] = round(out["check"]["acknowledged"] / max(1e-9, out["load_seconds"]), 1)
    finally:
        if load is not None:
            load.stop.set()
        if server is not None:
            server.stop()
        cluster.stop()
    return out


def _count(items: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for x in items:
        counts[x] = counts.get(x, 0) + 1
    return counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="4 clients, 2 + 2 kills, 5 s apart (about 2 minutes)")
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--persons", type=int, default=5000)
    ap.add_argument("--visits", type=int, default=3000, help="open visits per client")
    ap.add_argument("--server-kills", type=int, default=3)
    ap.add_argument("--pg-kills", type=int, default=3)
    ap.add_argument("--interval", type=float, default=10.0, help="seconds of load between kills")
    ap.add_argument("--recovery-limit", type=float, default=120.0)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.clients, args.persons, args.visits = 4, 2000, 1500
        args.server_kills, args.pg_kills, args.interval = 2, 2, 5.0
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    machine_busy = SB.wait_for_quiet(0.0)
    with tempfile.TemporaryDirectory(prefix="gongji-fault-") as tmp:
        body = run(args, Path(tmp))
    passed = body["check"]["ok"] and body["check_ledger_cli"]["exit_code"] == 0
    result = {
        "benchmark": "fault run: kill -9 of the server and of PostgreSQL under 2207 load (issue 18)",
        "passed": passed,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "started_at": stamp,
        "commit": _git("rev-parse", "HEAD"),
        "uncommitted_src_changes": bool(_git("status", "--porcelain", "src")),
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": _cpu_model(),
            "python": platform.python_version(),
            "cores_busy_with_other_work_at_start": machine_busy,
        },
        "settings": {
            k: getattr(args, k)
            for k in ("quick", "clients", "workers", "persons", "visits", "server_kills", "pg_kills", "interval")
        }
        | {"http_timeout_s": HTTP_TIMEOUT_S, "retry_pause_s": RETRY_PAUSE_S},
        **body,
    }
    say(
        f"{'PASSED' if passed else 'FAILED'}: acknowledged {body['check']['acknowledged']}, found exactly once "
        f"{body['check']['found_exactly_once']}, duplicates {body['check']['duplicates']}, "
        f"check-ledger exit {body['check_ledger_cli']['exit_code']}; recovery "
        + ", ".join(f"{k['what'].split()[0]} {k['recovery_s']} s" for k in body["kills"])
    )
    if not args.no_write:
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path = RESULTS_DIR / f"fault-{stamp}{'-quick' if args.quick else ''}.json"
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        say(f"wrote {path.relative_to(ROOT)}")
    return 0 if passed else 1


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


if __name__ == "__main__":
    raise SystemExit(main())
