#!/usr/bin/env python
"""Settlement benchmark: 2207 结算 over real HTTP against pgbench (PostgreSQL) and a plain
sqlite3 loop (SQLite) on the same machine, in the same run.

    python bench/settlement_bench.py [--seconds 15] [--clients 16] [--workers 2] [--quick]

PostgreSQL (a throwaway cluster from gongji.devtools.pg_cluster, the settings ledger_bench uses):
  * pgbench's built-in TPC-B-like script, ``-c CLIENTS -j 2 -T SECONDS`` and 1 client, on the
    cluster's ``postgres`` database (scale 10);
  * gongji 2207 over HTTP: ``gongji serve --workers WORKERS`` (uvicorn) as a subprocess on a
    migrated ``gongji`` database, CLIENTS client threads in this process, each with its own
    httpx client (keep-alive) and its own HisClient (gateway-signed envelope), 1 client and
    CLIENTS clients.
SQLite (a file, WAL, the engine gongji configures):
  * a plain ``sqlite3`` debit loop (ledger_bench's baseline: BEGIN IMMEDIATE, 2 UPDATEs, 2
    INSERTs, COMMIT), 1 and CLIENTS threads;
  * gongji 2207 over HTTP exactly as above, on a migrated SQLite file.

Set-up, outside the timed window: one hospital (level 3) per client, each with a gateway key
(services: auth.create_user, institutions.keys.issue); PERSONS employees (310, normal) with a
funded personal account (ledger_bench.seed_ledger: every 100th account left empty, so cash
pays) and a live enrollment; persons are split between the clients so no two clients settle
the same person at once, and each client settles at its own hospital (its own receivable row).
Visits (2201) are registered up front by bulk insert; a short full-flow pass through the
hospital simulator (1101 → 2201 → 2206 → 2207 → 2208 over HTTP) then proves the data and the
server, and every client sends 5 uncounted 2207s. Only 2207 calls are timed: medfee uniform
5.00–800.00 yuan, acct_used_flag 0/1/2 weighted 1:4:4, the four fee parts sent as 2206 would
answer without fee details (all in policy scope). Every answer is checked: infcode 0 and
medfee = fund + personal + hospital, personal = account + cash.

CPU is measured over each timed window from /proc: the server's process tree (uvicorn
supervisor + workers), PostgreSQL's (postmaster, backends; exited backends through the
postmaster's children times), this client process, and the whole machine. A separate in-process
pass then counts the SQL statements of each interface call (SQLAlchemy events), times
``settlement.interface.call`` for 2207 alone, and profiles it (cProfile) — where a 2207 spends its CPU.

Results: a rich table on stdout, bench/results/settlement-<UTC timestamp>.json and
bench/results/settlement-latest.json (not for --quick).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
for _p in (ROOT / "src", ROOT / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import httpx2 as httpx  # noqa: E402
import ledger_bench as LB  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from gongji.adapters.db.migrate import upgrade  # noqa: E402
from gongji.adapters.db.models import Enrollment, Institution, Visit  # noqa: E402
from gongji.adapters.nhsa.client import CALL_SERVICE, SHANGHAI, HisClient, Key, encode, parts_of  # noqa: E402
from gongji.bootstrap import Gongji, bootstrap  # noqa: E402
from gongji.devtools import pg_cluster  # noqa: E402
from gongji.entrypoints import his_simulator as sim  # noqa: E402
from gongji.services import auth  # noqa: E402
from gongji.services.audit import Channel  # noqa: E402
from gongji.services.auth import Role  # noqa: E402
from gongji.services.institutions import keys  # noqa: E402
from gongji.services.registry.context import Ctx  # noqa: E402
from gongji.services.settlement import interface as nhsa  # noqa: E402

REGION = LB.REGION  # 620100 兰州: persons, enrollments and hospitals in one pooling region
HOSPITAL_LEVEL = 3
FEE_RANGE_FEN = sim.FEE_RANGE_FEN
FLAGS, FLAG_WEIGHTS = list(sim.FLAG_WEIGHTS), list(sim.FLAG_WEIGHTS.values())
MAX_RATE_PER_CLIENT = 80  # visits registered per client per timed second (far above what is reached)
PROFILE_CALLS = 200
TICK = os.sysconf("SC_CLK_TCK")
say = LB.say


# --- CPU accounting from /proc ------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, float]]:
    """pid → (ppid, CPU seconds of the process and of its reaped children)."""
    table: dict[int, tuple[int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        # after the command: state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based in stat(5)
        ppid = int(fields[1])
        ticks = sum(int(x) for x in fields[11:15])
        table[int(entry)] = (ppid, ticks / TICK)
    return table


def tree_cpu(root: int, table: dict[int, tuple[int, float]]) -> dict[int, float]:
    """CPU seconds of ``root`` and every descendant, by pid."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = {}, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            found[pid] = table[pid][1]
        stack.extend(children.get(pid, []))
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return total - idle, total


QUIET_WAIT_S = [60.0]  # --quiet-wait


def wait_for_quiet(limit_s: float | None = None, threshold: float = 0.25) -> float:
    """Wait (up to ``limit_s``, default --quiet-wait) until the rest of the machine is nearly idle: other work on a
    2-core box skews every figure. Returns the cores busy in the last 1 s sample."""
    deadline = time.time() + (QUIET_WAIT_S[0] if limit_s is None else limit_s)
    while True:
        b0, t0 = machine_ticks()
        time.sleep(1.0)
        b1, t1 = machine_ticks()
        busy = (b1 - b0) / max(1, t1 - t0) * (os.cpu_count() or 1)
        if busy < threshold or time.time() > deadline:
            if busy >= threshold:
                say(f"[yellow]the machine is busy with other work ({busy:.2f} cores); measuring anyway[/yellow]")
            return round(busy, 2)
        time.sleep(2.0)


@dataclass
class CpuSnapshot:
    at: float
    server: dict[int, float]  # by pid: the uvicorn supervisor and its workers
    postgres: dict[int, float]
    client: float
    children: float
    busy: int
    total: int


def snapshot(server_pid: int | None, postmaster_pid: int | None) -> CpuSnapshot:
    table = _proc_table()
    me = os.times()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy, total = machine_ticks()
    return CpuSnapshot(
        at=time.time(),
        server=tree_cpu(server_pid, table) if server_pid else {},
        postgres=tree_cpu(postmaster_pid, table) if postmaster_pid else {},
        client=me.user + me.system,
        children=kids.ru_utime + kids.ru_stime,
        busy=busy,
        total=total,
    )


def cpu_usage(a: CpuSnapshot, b: CpuSnapshot, done: int, *, client_label: str = "client") -> dict[str, Any]:
    """CPU seconds, cores busy and CPU ms per transaction between two snapshots."""
    wall = max(1e-9, b.at - a.at)
    used = {
        "server": sum(b.server.values()) - sum(a.server.values()),
        "postgres": sum(b.postgres.values()) - sum(a.postgres.values()),
        client_label: (b.client - a.client) if client_label == "client" else (b.children - a.children),
    }
    ncpu = os.cpu_count() or 1
    machine = (b.busy - a.busy) / max(1, b.total - a.total) * ncpu
    out: dict[str, Any] = {"wall_s": round(wall, 2), "machine_cores_busy": round(machine, 2), "cores": ncpu}
    for name, seconds in used.items():
        if name in {"server", "postgres"} and not getattr(b, name):
            continue  # not part of this run
        out[f"{name}_cores"] = round(seconds / wall, 2)
        out[f"{name}_cpu_ms_per_txn"] = round(1000 * seconds / done, 3) if done else None
    if b.server:  # the load on each server process: are the workers evenly busy?
        out["server_cores_by_process"] = sorted(
            (round((b.server[pid] - a.server.get(pid, 0.0)) / wall, 2) for pid in b.server), reverse=True
        )
    out["other_cores"] = round(machine - sum(s for s in used.values()) / wall, 2)
    return out


def postmaster_pid(cluster: pg_cluster.PgCluster) -> int | None:
    try:
        return int((cluster.directory / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


# --- the gongji server as a subprocess -----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    url: str
    command: str
    out_path: Path

    def descendants(self) -> list[int]:
        table = _proc_table()
        found, stack = [], [self.proc.pid]
        while stack:
            pid = stack.pop()
            kids = [p for p, (pp, _) in table.items() if pp == pid]
            found += kids
            stack += kids
        return found

    def stop(self) -> None:
        """Stop the server we started, by its pid, then any worker left behind, by pid."""
        workers = self.descendants()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start_server(database_url: str, tmp: Path, workers: int, tag: str) -> Server:
    port = _free_port()
    gongji = Path(sys.executable).parent / "gongji"
    if gongji.exists():
        cmd = [str(gongji), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    else:  # not installed as a script: the same uvicorn call that `gongji serve` makes
        cmd = [sys.executable, "-m", "uvicorn", "gongji.entrypoints.api.asgi:app", "--port", str(port)]
        cmd += ["--workers", str(workers)]
    env = dict(
        os.environ,
        GONGJI_DATABASE_URL=database_url,
        GONGJI_LOG_FILE=str(tmp / f"server-{tag}.log"),
        GONGJI_PROVINCE="gansu",
        GONGJI_VAR_DIR=str(tmp / "var"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("GONGJI_PROFILES_DIR", None)
    out_path = tmp / f"server-{tag}.out"
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=str(tmp))
    url = f"http://127.0.0.1:{port}"
    server = Server(proc=proc, url=url, command=" ".join(shlex.quote(c) for c in cmd), out_path=out_path)
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {out_path.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200 and len(server.descendants()) >= workers:
                time.sleep(1.0)  # let every worker finish its start-up
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError("server did not answer /healthz within 90 s")


# --- seeding -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hospital:
    code: str
    name: str
    key: Key


def seed_institutions(gj: Gongji, n: int) -> list[Hospital]:
    """n level-3 hospitals, each with a system user and one gateway key (api and tif in turn)."""
    password_hash = auth.hash_password("bench-password-1")  # once: argon2 is slow on purpose

    clerk = auth.Principal(user_id=0, username="bench", role=Role.STAFF, display_name="基准", regions=("620000",))
    setup = Ctx(principal=clerk, channel=Channel("system"), clock=gj.clock)

    def go(uow: Any) -> list[Hospital]:
        out = []
        for i in range(n):
            code = f"H{REGION}{i + 1:05d}"
            name = f"基准第{i + 1}医院"
            uow.session.add(
                Institution(fixmedins_code=code, name=name, kind="hospital", level=HOSPITAL_LEVEL, region_code=REGION)
            )
            auth.create_user(
                uow,
                username=f"his_{code}",
                password="bench-password-1",
                role=Role.INSTITUTION,
                display_name=name,
                fixmedins_code=code,
                password_hash=password_hash,
            )
            api_key, secret = keys.issue(uow, setup, fixmedins_code=code)
            out.append(Hospital(code, name, Key(key_id=api_key.key_id, secret=secret)))
        uow.commit()
        return out

    return gj.run(go)


def seed_enrollments(gj: Gongji, n_persons: int, postgres: bool) -> None:
    """A live 310 enrollment (在职职工, normal) for every bench person of ledger_bench.seed_ledger."""
    start = gj.clock.now().date().replace(month=1, day=1) - timedelta(days=3 * 365)
    rows = [
        {
            "id": pid,
            "person_id": pid,
            "insutype": "310",
            "region_code": REGION,
            "status": "normal",
            "psn_type": "11",
            "employer_id": None,
            "start_date": start,
            "end_date": None,
        }
        for pid in range(1, n_persons + 1)
    ]
    with gj.engine.begin() as conn:
        for k in range(0, len(rows), 5000):
            conn.execute(insert(Enrollment.__table__), rows[k : k + 5000])
        if postgres:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('enrollment', 'id'), :v)"), {"v": n_persons})


@dataclass(frozen=True)
class Job:
    visit_id: int
    person_id: int
    medfee_fen: int
    flag: str


def seed_visits(
    gj: Gongji, hospitals: list[Hospital], n_persons: int, per_partition: int, postgres: bool, seed: int
) -> list[list[Job]]:
    """Open visits (as 2201 leaves them), one list per partition: partition k settles at
    hospital k, for the persons p with p % partitions == k."""
    parts = len(hospitals)
    now = gj.clock.now()
    begntime = now.astimezone(SHANGHAI).replace(tzinfo=None, microsecond=0)
    rng = random.Random(f"settlement-bench:{seed}")
    rows: list[dict[str, Any]] = []
    jobs: list[list[Job]] = []
    vid = 0
    for k, hospital in enumerate(hospitals):
        persons = list(range(k + 1, n_persons + 1, parts)) or [1 + k % n_persons]
        rng.shuffle(persons)
        mine = []
        for j in range(per_partition):
            vid += 1
            pid = persons[j % len(persons)]
            rows.append(
                {
                    "id": vid,
                    "person_id": pid,
                    "fixmedins_code": hospital.code,
                    "insutype": "310",
                    "med_type": None,
                    "psn_type": "11",
                    "ipt_otp_no": f"BENCH{vid:010d}",
                    "dept_code": "A03",
                    "begntime": begntime,
                    "status": "open",
                    "treatment_region": REGION,
                    "insured_region": REGION,
                    "msgid": f"bench-2201-{vid}",
                    "created_at": now,
                    "cancelled_at": None,
                }
            )
            mine.append(Job(vid, pid, rng.randint(*FEE_RANGE_FEN), rng.choices(FLAGS, FLAG_WEIGHTS)[0]))
        jobs.append(mine)
    with gj.engine.begin() as conn:
        for k in range(0, len(rows), 5000):
            conn.execute(insert(Visit.__table__), rows[k : k + 5000])
        if postgres:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('visit', 'id'), :v)"), {"v": vid})
    return jobs


def cert_of(pid: int) -> str:
    return f"BENCH{pid:012d}"  # ledger_bench.seed_ledger's cert_no


def settle_body(his: HisClient, job: Job) -> dict[str, Any]:
    return his.settle_input(
        psn_no=str(job.person_id),
        mdtrt_id=str(job.visit_id),
        insutype="310",
        certno=cert_of(job.person_id),
        medfee_fen=job.medfee_fen,
        acct_used_flag=job.flag,
        parts={"fulamt_ownpay_amt": 0, "overlmt_selfpay": 0, "preselfpay_amt": 0, "inscp_scp_amt": job.medfee_fen},
    )


# --- the timed 2207 loop ---------------------------------------------------------------------------------


@dataclass
class ClientTally:
    refused: Counter[str]
    not_adding_up: int = 0
    exhausted: int = 0


def settle_step(url: str, hospital: Hospital, jobs: list[Job], tally: ClientTally, seq: Any) -> LB.Step:
    http = httpx.Client(base_url=url, timeout=120)
    his = HisClient(
        http=http, fixmedins_code=hospital.code, fixmedins_name=hospital.name, region=REGION, key=hospital.key
    )
    queue = iter(jobs)

    def step() -> str:
        job = next(queue, None)
        if job is None:
            tally.exhausted += 1
            time.sleep(0.05)
            return "exhausted"
        answer = his.call("2207", settle_body(his, job))
        if answer.get("infcode") != 0:
            tally.refused[str(answer.get("err_msg"))] += 1
            return "refused"
        if not adds_up(answer["output"]["setlinfo"]):
            tally.not_adding_up += 1
        return "ok"

    return step


def adds_up(info: dict[str, Any]) -> bool:
    """medfee = fund + personal part + hospital part; personal part = account + cash."""
    medfee, fund, psn = (sim.fen(info.get(k)) for k in ("medfee_sumamt", "fund_pay_sumamt", "psn_part_amt"))
    hosp, acct, cash = (sim.fen(info.get(k)) for k in ("hosp_part_amt", "acct_pay", "psn_cash_pay"))
    return medfee == fund + psn + hosp and psn == acct + cash


def timed_2207(
    name: str,
    database: str,
    url: str,
    hospitals: list[Hospital],
    jobs: list[list[Job]],
    clients: int,
    seconds: float,
    pids: tuple[int | None, int | None],
    seq: Any,
) -> tuple[LB.RunResult, dict[str, Any], dict[str, Any]]:
    tallies = [ClientTally(Counter()) for _ in range(clients)]
    snaps: dict[str, CpuSnapshot] = {}

    quiet = {"busy_before": 0.0}

    def wait_for_start() -> float:
        quiet["busy_before"] = wait_for_quiet()
        snaps["a"] = snapshot(*pids)
        return time.time() + 0.05

    wall, stats = LB.run_threads(
        lambda i: settle_step(url, hospitals[i], jobs[i], tallies[i], seq), clients, seconds, wait_for_start
    )
    snaps["b"] = snapshot(*pids)
    r = LB.summarize(
        name,
        database,
        "gongji 2207 over HTTP (httpx client threads → uvicorn)",
        clients,
        1,
        wall,
        stats,
        "only 2207 timed; visits pre-registered; one hospital and one person partition per client",
    )
    refused = Counter[str]()
    for t in tallies:
        refused.update(t.refused)
    extra = {
        "refused_by_message": dict(refused),
        "not_adding_up": sum(t.not_adding_up for t in tallies),
        "clients_out_of_visits": sum(1 for t in tallies if t.exhausted),
    }
    if extra["clients_out_of_visits"]:
        r.note += f"; {extra['clients_out_of_visits']} client(s) ran out of pre-registered visits (tps understated)"
    cpu = cpu_usage(snaps["a"], snaps["b"], r.committed) | quiet
    say(
        f"  {r.tps:,.1f} tps, p50 {r.latency_p50_ms} ms, p99 {r.latency_p99_ms} ms, refused {r.refused}, "
        f"errors {r.errors}; cores: server {cpu.get('server_cores')}, postgres {cpu.get('postgres_cores')}, "
        f"client {cpu.get('client_cores')}, machine {cpu['machine_cores_busy']} (other {cpu['other_cores']})"
    )
    return r, extra, cpu


def full_flow_check(gj: Gongji, url: str, hospitals: list[Hospital], n_persons: int, rounds: int) -> dict[str, Any]:
    """The hospital simulator over HTTP on the bench data: 1101 → 2201 → 2206 → 2207 (→ 2208)."""
    cast = sim.Cast(
        sites=tuple(sim.Site(h.code, h.name, "hospital", HOSPITAL_LEVEL, REGION, (h.key,)) for h in hospitals),
        patients=tuple(
            sim.Patient(pid, cert_of(pid), f"基准{pid}", "310")
            for pid in random.Random(7).sample(range(1, n_persons + 1), min(50, n_persons))
        ),
    )
    clients: list[httpx.Client] = []

    def factory() -> httpx.Client:
        clients.append(httpx.Client(base_url=url, timeout=120))
        return clients[-1]

    try:
        result = sim.run_simulation(factory, gj, count=rounds, concurrency=4, style="mixed", seed=1, cast=cast)
    finally:
        for c in clients:
            c.close()
    out = {
        "rounds": rounds,
        "settlements": result.settlements,
        "cancelled": result.cancelled,
        "refused": dict(result.refused),
        "errors": dict(result.errors),
        "not_adding_up": len(result.not_adding_up),
    }
    say(f"full-flow check through the simulator: {out}")
    if result.settlements == 0 or result.errors or result.not_adding_up:
        raise RuntimeError(f"the full 2207 flow does not work on the bench data: {out}")
    return out


# --- the in-process pass: statements per call, CPU of settlement.interface.call, cProfile -------------------------


def profile_pass(gj: Gongji, hospital: Hospital, jobs: list[Job]) -> dict[str, Any]:
    """In this process, on the server's database (server stopped): SQL statements per interface
    call, then CPU per ``settlement.interface.call`` 2207 (no HTTP), then a cProfile of it."""
    from fastapi.testclient import TestClient

    from gongji.entrypoints.api.app import create_app

    label = {"now": ""}
    statements: dict[str, list[str]] = {}

    def on_execute(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        if label["now"]:
            statements.setdefault(label["now"], []).append(" ".join(statement.split())[:110])

    def on_tx(name: str) -> Any:
        def listener(conn: Any, *args: Any) -> None:
            if label["now"]:
                statements.setdefault(label["now"], []).append(name)

        return listener

    tx_listeners = {what: on_tx(what.upper()) for what in ("begin", "commit", "rollback")}
    event.listen(gj.engine, "before_cursor_execute", on_execute)
    for what, fn in tx_listeners.items():
        event.listen(gj.engine, what, fn)

    def direct(job: Job, his: HisClient) -> None:
        content = encode(his.envelope("2207", settle_body(his, job)))
        answer = nhsa.call(
            gj.run,
            profile=gj.profile,
            clock=gj.clock,
            headers=his.headers("2207", CALL_SERVICE, content),
            raw_body=content,
            path_infno=None,
            client_addr="127.0.0.1",
        )
        assert answer.body is not None and answer.body["infcode"] == 0, answer.body

    flow, steady, rest = jobs[:12], jobs[12:42], jobs[42:]
    counted: Counter[str] = Counter()
    try:
        with TestClient(create_app(gj), raise_server_exceptions=False) as client:
            his = HisClient(
                http=client,
                fixmedins_code=hospital.code,
                fixmedins_name=hospital.name,
                region=REGION,
                key=hospital.key,
            )
            for n, job in enumerate(flow):  # the outpatient flow over HTTP in process, counted per call
                certno = cert_of(job.person_id)

                def at(what: str, n: int = n) -> str:
                    return what if n >= 2 else ""  # the first two visits create accounts: not counted

                label["now"] = at("1101")
                his.person_info(certno)
                label["now"] = at("2201")
                reg = his.register(str(job.person_id), "310", certno, f"基准{job.person_id}", ipt_otp_no="P1")
                args = dict(
                    psn_no=str(job.person_id),
                    mdtrt_id=str(reg["output"]["data"]["mdtrt_id"]),
                    insutype="310",
                    certno=certno,
                    medfee_fen=job.medfee_fen,
                    acct_used_flag=job.flag,
                )
                label["now"] = at("2206")
                pre = his.call("2206", his.settle_input(**args))
                label["now"] = at("2207 (after 2206)")
                done = his.call("2207", his.settle_input(**args, parts=parts_of(pre["output"]["setlinfo"])))
                assert done["infcode"] == 0, done
                info = done["output"]["setlinfo"]
                label["now"] = at("2208")
                his.call("2208", {"data": {k: info[k] for k in ("setl_id", "mdtrt_id", "psn_no")}})
                label["now"] = ""
                if n >= 2:
                    counted.update(["1101", "2201", "2206", "2207 (after 2206)", "2208"])
        his = HisClient(
            http=None,  # type: ignore[arg-type]
            fixmedins_code=hospital.code,
            fixmedins_name=hospital.name,
            region=REGION,
            key=hospital.key,
        )
        for job in steady:  # 2207 on pre-registered visits, as in the timed runs
            label["now"] = f"2207 flag {job.flag}"
            direct(job, his)
            label["now"] = ""
            counted[f"2207 flag {job.flag}"] += 1
    finally:
        label["now"] = ""
        event.remove(gj.engine, "before_cursor_execute", on_execute)
        for what, fn in tx_listeners.items():
            event.remove(gj.engine, what, fn)
    tx = {"BEGIN", "COMMIT", "ROLLBACK"}

    def tally(keys: list[str]) -> dict[str, Any]:
        calls = sum(counted[k] for k in keys)
        rows = [x for k in keys for x in statements.get(k, [])]
        return {
            "calls": calls,
            "sql_statements_per_call": round(len([x for x in rows if x not in tx]) / max(1, calls), 2),
            "with_begin_commit": round(len(rows) / max(1, calls), 2),
        }

    per_call = {key: tally([key]) for key in sorted(counted)}
    per_call["2207 (timed mix)"] = tally([k for k in counted if k.startswith("2207 flag")])
    example_key = next((k for k in ("2207 flag 1", "2207 flag 2", "2207 flag 0") if k in statements), None)
    example = _first_call(statements[example_key]) if example_key else []

    # settlement.interface.call for 2207 in this thread alone: CPU per call, then cProfile
    n = min(PROFILE_CALLS, max(1, (len(rest) - 5) // 2))
    for job in rest[:5]:
        direct(job, his)
    timed, profiled = rest[5 : 5 + n], rest[5 + n : 5 + 2 * n]
    c0, w0 = time.process_time(), time.perf_counter()
    for job in timed:
        direct(job, his)
    cpu_ms = 1000 * (time.process_time() - c0) / max(1, len(timed))
    wall_ms = 1000 * (time.perf_counter() - w0) / max(1, len(timed))
    prof = cProfile.Profile(time.process_time)  # CPU time: waits for the database are not counted
    prof.enable()
    for job in profiled:
        direct(job, his)
    prof.disable()
    say(f"in-process settlement.interface.call 2207: {cpu_ms:.2f} ms CPU, {wall_ms:.2f} ms wall per call (1 thread)")
    return {
        "per_call": per_call,
        "example_2207": {"label": example_key, "statements": example},
        "nhsa_call_2207": {
            "calls": len(timed),
            "cpu_ms_per_call": round(cpu_ms, 3),
            "wall_ms_per_call": round(wall_ms, 3),
            "note": "settlement.interface.call in this process, one thread, no HTTP: gateway check, envelope, "
            "msgid lookup, settle, answer stored; the database in its own processes",
        },
        "cprofile_2207": _profile_summary(prof, len(profiled), round(cpu_ms, 3)),
    }


def _first_call(rows: list[str]) -> list[str]:
    """The statements of the first call in a list of several calls' statements."""
    out: list[str] = []
    for x in rows:
        out.append(x)
        if x in {"COMMIT", "ROLLBACK"}:
            break
    return out


def _profile_summary(prof: cProfile.Profile, calls: int, unprofiled_cpu_ms: float) -> dict[str, Any]:
    raw: Any = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    by_area: Counter[str] = Counter()
    total = 0.0
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in raw.items():
        total += tt
        by_area[_area(filename)] += tt
        rows.append((tt, ct, nc, f"{_short(filename)}:{line}({func})"))
    rows.sort(reverse=True)
    top = [
        {"tottime_ms_per_2207": round(1000 * tt / calls, 3), "ncalls_per_2207": round(nc / calls, 1), "function": name}
        for tt, ct, nc, name in rows[:15]
    ]
    cum = sorted(((ct, name) for tt, ct, nc, name in rows), reverse=True)
    return {
        "calls": calls,
        "timer": "time.process_time (CPU); the profiler's own cost inflates many small calls, so read shares, "
        "not absolute times",
        "profiled_ms_per_2207": round(1000 * total / calls, 3),
        "unprofiled_cpu_ms_per_2207": unprofiled_cpu_ms,
        "share_by_area": {k: round(v / total, 3) for k, v in by_area.most_common()},
        "top_tottime": top,
        "top_cumulative": [
            {"cumtime_ms_per_2207": round(1000 * ct / calls, 3), "function": name}
            for ct, name in cum[:25]
            if "cProfile" not in name
        ],
        "gongji_cumulative_share": [
            {"share": round(ct / total, 3), "function": name}
            for ct, name in cum
            if name.startswith("gongji/") and ct / total >= 0.03
        ][:20],
    }


def _area(filename: str) -> str:
    for key, area in (
        ("/sqlalchemy/", "sqlalchemy"),
        ("/psycopg", "psycopg (driver, libpq waits)"),
        ("/gongji/", "gongji"),
        ("/json/", "json"),
        ("/hmac", "hmac/hashlib"),
        ("/hashlib", "hmac/hashlib"),
        ("/logging/", "logging"),
        ("/decimal", "decimal"),
    ):
        if key in filename:
            return area
    if filename.startswith("~") or filename == "<built-in>":
        return "builtins (incl. socket I/O waits)"
    return "other"


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --- the two databases --------------------------------------------------------------------------------------


def prepare_gongji(
    gj: Gongji, args: argparse.Namespace, partitions: int, per_partition: int, postgres: bool
) -> tuple[list[Hospital], list[list[Job]], dict[str, Any]]:
    t0 = time.time()
    seeded: dict[str, Any] = dict(LB.seed_ledger(gj, args.persons, 1, postgres=postgres))
    seed_enrollments(gj, args.persons, postgres)
    hospitals = seed_institutions(gj, partitions)
    jobs = seed_visits(gj, hospitals, args.persons, per_partition, postgres, args.seed)
    seeded.update(
        {
            "enrollments": args.persons,
            "hospitals": len(hospitals),
            "open_visits": partitions * per_partition,
            "seconds": round(time.time() - t0, 1),
        }
    )
    return hospitals, jobs, seeded


PG_SETTINGS_SHOWN = ("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "shared_buffers")


def run_postgres(args: argparse.Namespace, tmp: Path, *, durable: bool, lite: bool = False) -> dict[str, Any]:
    """One cluster: pgbench and gongji on the same server and settings. ``durable``: PostgreSQL's
    production defaults (fsync, synchronous_commit, full_page_writes on: an answer is sent only
    after its commit is on disk); otherwise all three off (not durable, labelled so). ``lite``:
    only the CLIENTS-client runs, no in-process profile (the second, labelled line)."""
    out: dict[str, Any] = {"runs": [], "commands": {}, "cpu": {}, "durable": durable}
    cluster = pg_cluster.start(durable=durable)
    server: Server | None = None
    try:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres"
        with psycopg.connect(admin) as c:
            row = c.execute("SHOW server_version").fetchone()
            out["server_version"] = row[0] if row else None
            shown = {name: c.execute(f"SHOW {name}").fetchone() for name in PG_SETTINGS_SHOWN}
        out["database_settings"] = {k: (v[0] if v else None) for k, v in shown.items()}
        out["settings"] = (
            f"throwaway cluster from gongji.devtools.pg_cluster ({'DURABLE' if durable else 'NOT DURABLE'}): "
            + ", ".join(f"{k}={v}" for k, v in out["database_settings"].items())
            + ", loopback TCP, data directory on the machine's disk under /tmp"
        )
        pm = postmaster_pid(cluster)
        say(f"PostgreSQL {out['server_version']} on port {cluster.port}: pgbench -i -s 10")
        subprocess.run(
            [
                "pgbench",
                "-i",
                "-q",
                "-s",
                "10",
                "-h",
                "127.0.0.1",
                "-p",
                str(cluster.port),
                "-U",
                "postgres",
                "postgres",
            ],
            check=True,
            capture_output=True,
            text=True,
        )

        def checkpoint() -> None:
            with psycopg.connect(admin, autocommit=True) as c:
                c.execute("CHECKPOINT")

        for clients in (args.clients,) if lite else (args.clients, 1):
            checkpoint()
            say(f"pgbench tpcb-like -c {clients} -T {args.seconds:g}")
            quiet = wait_for_quiet()
            a = snapshot(None, pm)
            r, cmd = LB.pgbench(cluster.port, clients, args.seconds)
            b = snapshot(None, pm)
            out["runs"].append(asdict(r))
            out["commands"][r.name] = cmd
            out["cpu"][r.name] = cpu_usage(a, b, r.committed, client_label="pgbench") | {"busy_before": quiet}
            say(f"  {r.tps:,.0f} tps; cores: postgres {out['cpu'][r.name]['postgres_cores']}")

        url = cluster.create_database("gongji")
        upgrade(url)
        gj = bootstrap(LB.bench_settings(url, tmp / "bench-client.log"))
        partitions = args.clients + 2  # one per timed client, one for the 1-client run, one for profiling
        per_partition = max(300, int(args.seconds * MAX_RATE_PER_CLIENT))
        hospitals, jobs, out["seed"] = prepare_gongji(gj, args, partitions, per_partition, postgres=True)
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as c:
            c.execute("VACUUM ANALYZE")
        say(f"gongji database seeded: {out['seed']}")

        server = start_server(url, tmp, args.workers, "pg")
        out["server_command"] = server.command
        say(f"server: {server.command} (pid {server.proc.pid}, workers {server.descendants()})")
        out["full_flow_check"] = full_flow_check(gj, server.url, hospitals, args.persons, 4 * args.clients)
        seq = None
        pids = (server.proc.pid, pm)
        for clients in (args.clients,) if lite else (1, args.clients):
            checkpoint()
            name = f"gongji 2207 HTTP, {clients} client{'s' if clients > 1 else ''}, {args.workers} workers"
            say(name)
            use = (
                [hospitals[args.clients]] if clients == 1 else hospitals[: args.clients],
                [jobs[args.clients]] if clients == 1 else jobs[: args.clients],
            )
            seconds = args.seconds if clients > 1 else max(3.0, args.seconds / 2)
            r, extra, cpu = timed_2207(name, "postgresql", server.url, use[0], use[1], clients, seconds, pids, seq)
            out["runs"].append(asdict(r) | extra)
            out["cpu"][name] = cpu
        server.stop()
        server = None

        out["check_ledger"] = LB.ledger_check(gj)
        say(f"check_ledger: ok={out['check_ledger']['ok']}")
        if not lite:
            say("in-process pass: statements per call, settlement.interface.call CPU, cProfile")
            out["profile"] = profile_pass(gj, hospitals[-1], jobs[-1])
        gj.engine.dispose()

        runs = out["runs"]
        pgb = next(x for x in runs if x["driver"].startswith("pgbench") and x["clients"] == args.clients)
        g = next(x for x in runs if x["driver"].startswith("gongji") and x["clients"] == args.clients)
        out["headline"] = {
            "durable": durable,
            "database_settings": out["database_settings"],
            "gongji_run": g["name"],
            "gongji_tps": g["tps"],
            "gongji_p50_ms": g["latency_p50_ms"],
            "gongji_p99_ms": g["latency_p99_ms"],
            "pgbench_run": pgb["name"],
            "pgbench_tps": pgb["tps"],
            "pgbench_avg_ms": pgb["latency_avg_ms"],
            "ratio": round(g["tps"] / pgb["tps"], 3),
            "target": 0.5,
            "stretch": 0.8,
        }
        if "profile" in out:
            mix = out["profile"]["per_call"]["2207 (timed mix)"]
            out["headline"]["sql_statements_per_2207"] = mix["sql_statements_per_call"]
            out["headline"]["sql_statements_per_2207_with_begin_commit"] = mix["with_begin_commit"]
        out["ratios"] = {f"{g['name']} / {pgb['name']}": round(g["tps"] / pgb["tps"], 3)}
        if not lite:
            pgb1 = next(x for x in runs if x["driver"].startswith("pgbench") and x["clients"] == 1)
            g1 = next(x for x in runs if x["driver"].startswith("gongji") and x["clients"] == 1)
            out["ratios"][f"{g1['name']} / {pgb1['name']}"] = round(g1["tps"] / pgb1["tps"], 3)
            out["bound"] = bound_analysis(out, g["name"], pgb["name"])
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
    return out


def run_sqlite(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {
        "runs": [],
        "cpu": {},
        "settings": "file databases, WAL, synchronous=NORMAL, BEGIN IMMEDIATE, busy_timeout 30 s "
        "(gongji's engine: pooled connections); the plain loop: one sqlite3 connection per thread",
    }
    plain_db = tmp / "plain.sqlite3"
    LB.plain_seed(plain_db, args.persons, 20)
    for threads in (1, args.clients):
        say(f"SQLite plain sqlite3 debit loop, {threads} thread(s)")
        quiet = wait_for_quiet()
        a = snapshot(None, None)

        def plain(i: int, t: int = threads) -> LB.Step:
            return LB.plain_step(plain_db, args.persons, 20, f"plain:t{t}:w{i}", 900 + i)

        wall, stats = LB.run_threads(plain, threads, args.seconds)
        b = snapshot(None, None)
        r = LB.summarize(
            f"plain sqlite3 debit, {threads} thread{'s' if threads > 1 else ''}",
            "sqlite",
            "sqlite3 (stdlib), hand-written SQL, in process",
            threads,
            1,
            wall,
            stats,
            "ledger_bench's baseline: BEGIN IMMEDIATE; conditional debit; credit; 2 posting INSERTs; COMMIT",
        )
        out["runs"].append(asdict(r))
        out["cpu"][r.name] = cpu_usage(a, b, r.committed) | {"busy_before": quiet}
        say(f"  {r.tps:,.0f} tps")
    out["plain_check"] = LB.plain_check(plain_db)

    url = f"sqlite:///{tmp / 'gongji.sqlite3'}"
    upgrade(url)
    gj = bootstrap(LB.bench_settings(url, tmp / "bench-client.log"))
    partitions = args.clients + 2
    per_partition = max(300, int(args.seconds * MAX_RATE_PER_CLIENT))
    hospitals, jobs, out["seed"] = prepare_gongji(gj, args, partitions, per_partition, postgres=False)
    say(f"gongji SQLite file seeded: {out['seed']}")
    server = start_server(url, tmp, args.workers, "sqlite")
    try:
        out["server_command"] = server.command
        out["full_flow_check"] = full_flow_check(gj, server.url, hospitals, args.persons, 4 * args.clients)
        seq = None
        for clients in (1, args.clients):
            name = f"gongji 2207 HTTP, {clients} client{'s' if clients > 1 else ''}, {args.workers} workers"
            say(f"SQLite {name}")
            use = (
                [hospitals[args.clients]] if clients == 1 else hospitals[: args.clients],
                [jobs[args.clients]] if clients == 1 else jobs[: args.clients],
            )
            seconds = args.seconds if clients > 1 else max(3.0, args.seconds / 2)
            pids = (server.proc.pid, None)
            r, extra, cpu = timed_2207(name, "sqlite", server.url, use[0], use[1], clients, seconds, pids, seq)
            out["runs"].append(asdict(r) | extra)
            out["cpu"][name] = cpu
    finally:
        server.stop()
    out["check_ledger"] = LB.ledger_check(gj)
    gj.engine.dispose()
    say(f"check_ledger: ok={out['check_ledger']['ok']}; plain check ok={out['plain_check']['ok']}")
    by = {(x["driver"].split()[0], x["clients"]): x for x in out["runs"]}
    out["ratios"] = {
        f"gongji 2207 HTTP / plain sqlite3 debit, {t} client{'s' if t > 1 else ''}": round(
            by[("gongji", t)]["tps"] / by[("sqlite3", t)]["tps"], 4
        )
        for t in (1, args.clients)
    }
    return out


def bound_analysis(out: dict[str, Any], gongji_run: str, pgbench_run: str) -> dict[str, Any]:
    """CPU per transaction by process group, and what a dedicated machine could reach at most."""
    cpu, pgb_cpu = out["cpu"][gongji_run], out["cpu"][pgbench_run]
    prof = out["profile"]
    per = {k: cpu.get(f"{k}_cpu_ms_per_txn") or 0.0 for k in ("server", "postgres", "client")}
    total = sum(per.values())
    statements = prof["per_call"]["2207 (timed mix)"]["with_begin_commit"]
    tpcb_statements = 7  # BEGIN, 3 UPDATE, SELECT, INSERT, END
    nhsa_ms = prof["nhsa_call_2207"]["cpu_ms_per_call"]
    pg_ms = pgb_cpu["postgres_cpu_ms_per_txn"] or 0.0
    return {
        "cpu_ms_per_2207": {k: round(v, 2) for k, v in per.items()} | {"total": round(total, 2)},
        "server_ms_in_services_nhsa_call": nhsa_ms,
        "server_ms_in_http_stack": round(per["server"] - nhsa_ms, 2),
        "statements_per_2207": statements,
        "statements_per_tpcb_txn": tpcb_statements,
        "postgres_cpu_ms_per_statement_2207": round(per["postgres"] / statements, 3) if statements else None,
        "postgres_cpu_ms_per_statement_pgbench": round(pg_ms / tpcb_statements, 3),
        "cpu_ms_per_pgbench_txn": {
            "postgres": pg_ms,
            "pgbench": pgb_cpu.get("pgbench_cpu_ms_per_txn"),
        },
        "ceiling_tps_all_cores_for_gongji": round(1000 * cpu["cores"] / total, 1) if total else None,
        "ceiling_tps_postgres_only": round(1000 * cpu["cores"] / per["postgres"], 1) if per["postgres"] else None,
        "other_load_cores_during_run": cpu.get("other_cores"),
        "note": "ceilings: the machine's cores divided by the measured CPU per 2207 (server + postgres + "
        "client), or by PostgreSQL's share alone (a zero-cost application server)",
    }


# --- output ---------------------------------------------------------------------------------------------------


def code_version() -> dict[str, Any]:
    info = LB.code_version()
    services = ROOT / "src" / "gongji" / "services"
    for rel in ("settlement/settle.py", "settlement/interface.py", "settlement/benefit.py", "family/payment.py"):
        info[f"{rel.replace('/', '_')}_sha256"] = LB._sha256(services / rel)
    return info


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console

    console = Console() if sys.stdout.isatty() else Console(width=160)
    p = report["parameters"]
    title = (
        f"Settlement 2207 benchmark ({p['seconds']:g} s runs, {p['clients']} clients, "
        f"{p['workers']} server workers, {report['machine']['nproc']} cores)"
    )
    console.print(LB.runs_table(report, title, tps_format=",.1f", cores=True))
    console.print(LB.ratios_table(report, sqlite_digits=4))
    for db in ("postgresql", "postgresql_unsafe"):
        if db in report:
            h = report[db]["headline"]
            console.print(
                f"{db} ({'durable' if h['durable'] else 'NOT durable'}: {h['database_settings']}): "
                f"2207 {h['gongji_tps']:,.1f} tps p50 {h['gongji_p50_ms']} ms p99 {h['gongji_p99_ms']} ms; "
                f"pgbench {h['pgbench_tps']:,.0f} tps; ratio {h['ratio']}; "
                f"SQL statements per 2207: {h.get('sql_statements_per_2207', '—')}"
            )
    pg = report.get("postgresql")
    if pg and "profile" in pg:
        prof = pg["profile"]
        per = ", ".join(f"{k}: {v['sql_statements_per_call']}" for k, v in sorted(prof["per_call"].items()))
        console.print(f"SQL statements per call (+ BEGIN/COMMIT): {per}")
        n = prof["nhsa_call_2207"]
        console.print(
            f"interface.call 2207 in process: {n['cpu_ms_per_call']} ms CPU, {n['wall_ms_per_call']} ms wall; "
            f"cProfile share: {prof['cprofile_2207']['share_by_area']}"
        )
        console.print(
            "cProfile, share of a 2207 under: "
            + ", ".join(
                f"{x['function'].split('(')[1].rstrip(')')} {x['share']:.0%}"
                for x in prof["cprofile_2207"]["gongji_cumulative_share"]
                if not x["function"].endswith(("(call)", "(run)", "(use_case)", "(<lambda>)"))
            )
        )
        b = pg["bound"]
        console.print(
            f"CPU ms per 2207: {b['cpu_ms_per_2207']} (interface.call {b['server_ms_in_services_nhsa_call']}, "
            f"HTTP stack {b['server_ms_in_http_stack']}); per pgbench txn: {b['cpu_ms_per_pgbench_txn']}; "
            f"ceiling on {pg['cpu'][pg['headline']['gongji_run']]['cores']} cores: "
            f"{b['ceiling_tps_all_cores_for_gongji']} tps (PostgreSQL alone: {b['ceiling_tps_postgres_only']}); "
            f"other load during the run: {b['other_load_cores_during_run']} cores"
        )
        console.print(
            f"PostgreSQL check_ledger ok: {pg['check_ledger']['ok']} ({pg['check_ledger']['transactions']:,} txns)"
        )
    if "sqlite" in report:
        console.print(f"SQLite check_ledger ok: {report['sqlite']['check_ledger']['ok']}")
    console.print(f"Written: {report.get('written')}")
    console.print(f"Reproduce: {report['command']}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=15.0, help="length of each timed run (default 15)")
    ap.add_argument("--clients", type=int, default=16, help="concurrent HTTP clients (default 16)")
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes (default 2)")
    ap.add_argument("--persons", type=int, default=20_000, help="employees with accounts (default 20,000)")
    ap.add_argument("--seed", type=int, default=1, help="fees, flags and visit order (default 1)")
    ap.add_argument("--quick", action="store_true", help="smoke test: 4 s runs, 3,000 persons")
    ap.add_argument("--skip-postgres", action="store_true", help="SQLite only")
    ap.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    ap.add_argument("--no-write", action="store_true", help="do not write bench/results/*.json")
    ap.add_argument(
        "--durability",
        choices=("durable", "unsafe", "both"),
        default=None,
        help="PostgreSQL settings: durable (fsync, synchronous_commit, full_page_writes on: the headline), "
        "unsafe (all off), or both: the durable headline plus a labelled unsafe line (default; --quick: durable)",
    )
    ap.add_argument(
        "--quiet-wait",
        type=float,
        default=60.0,
        help="wait up to this many seconds for the machine to go idle before each timed run (default 60)",
    )
    ap.add_argument("--note", default="", help="a note stored in the result (e.g. 'measured under load')")
    args = ap.parse_args(argv)
    if args.quick:
        args.seconds = min(args.seconds, 4.0)
        args.persons = min(args.persons, 3_000)
    QUIET_WAIT_S[0] = args.quiet_wait
    if args.durability is None:
        args.durability = "durable" if args.quick else "both"
    exe = os.path.relpath(sys.executable) if sys.executable.startswith(str(ROOT)) else sys.executable
    command = " ".join(
        shlex.quote(a) for a in [exe, "bench/settlement_bench.py", *(argv if argv is not None else sys.argv[1:])]
    )
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "benchmark": "settlement-2207",
        "started_utc": started.isoformat(timespec="seconds"),
        "command": command,
        "cwd": str(Path.cwd()),
        "code": code_version(),
        "machine": LB.machine_info(),
        "parameters": {
            "seconds": args.seconds,
            "clients": args.clients,
            "workers": args.workers,
            "persons": args.persons,
            "seed": args.seed,
            "quick": args.quick,
            "durability": args.durability,
            "note": args.note,
            "pgbench_scale": 10,
            "medfee_fen": f"uniform {FEE_RANGE_FEN[0]}..{FEE_RANGE_FEN[1]}",
            "acct_used_flag_weights": dict(sim.FLAG_WEIGHTS),
            "hospital_level": HOSPITAL_LEVEL,
            "province_profile": "gansu",
            "warmup_2207_per_client": LB.WARMUP_STEPS,
            "client": "threads in one process; httpx2 Client (keep-alive) + HisClient per thread",
        },
    }
    tmp = Path(tempfile.mkdtemp(prefix="gongji-settle-bench-"))
    try:
        if not args.skip_postgres:
            if not pg_cluster.available():
                raise SystemExit("PostgreSQL 15 binaries not found; run `make services` or pass --skip-postgres")
            if args.durability in ("durable", "both"):
                report["postgresql"] = run_postgres(args, tmp, durable=True)
            if args.durability in ("unsafe", "both"):
                unsafe = run_postgres(args, tmp, durable=False, lite=args.durability == "both")
                report["postgresql" if args.durability == "unsafe" else "postgresql_unsafe"] = unsafe
        if not args.skip_sqlite:
            report["sqlite"] = run_sqlite(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report["finished_utc"] = datetime.now(UTC).isoformat(timespec="seconds")
    if not args.no_write:
        LB.write_results(report, name="settlement", started=started, quick=args.quick)
    print_report(report)
    dbs = ("postgresql", "postgresql_unsafe", "sqlite")
    ok = all(report[db]["check_ledger"]["ok"] for db in dbs if db in report)
    bad = sum(r.get("not_adding_up", 0) for db in dbs for r in report.get(db, {}).get("runs", []))
    return 0 if ok and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
