#!/usr/bin/env python
# ruff: noqa: E501
"""Collection dashboard benchmark (issue 16, Performance): the dashboard's query time from the
aggregates, and what keeping the aggregates costs each payment.

    python bench/collection_bench.py [--residents 1000000] [--units 1000] [--quick] [--big-units 20000]

PostgreSQL only (a throwaway cluster from gongji.devtools.pg_cluster, fsync off). Set-up, not
timed except where said: ``--units`` villages under ``--units/10`` townships in 10 districts of
Gansu; ``--residents`` persons, each with a live resident enrollment (390) in their district and
a member of a village (COPY-free: INSERT … SELECT generate_series); the 2027 task computed by
``services.collection.task.compute`` per district (timed: "task compute"); 55% of the task paid
on days from 2026-09-01 to 2026-11-22 by one INSERT … SELECT into ``resident_premium`` — the
trigger of migration 0024 fires per row and fills ``collection_paid_day`` (timed, and again with
the trigger disabled on a copy, for the bulk per-row cost).

Timed:

1. the dashboard (``services.collection.progress.overview``, exactly what ``/staff/collection``
   and ``/api/collection/progress`` run) for the province, one district and one township, on
   2026-11-23; each ``--repeat`` times, median and p95;
2. per payment: ``--payments`` real bank payments through ``services.resident.channels.
   record_payment`` (ledger, waiting period, audit, the premium row — and the trigger), each in
   its own transaction, with the trigger enabled and then disabled (other persons); and a
   micro-measure: the same single-row premium insert committed with and without the trigger;
3. ``--big-units`` (default 20,000, a province of 25 million at ~1,250 residents per village):
   synthetic aggregates for that many villages with a row for every day of a 122-day window
   (``collection_unit_stat`` and ``collection_paid_day`` only: the dashboard reads nothing else),
   then the province dashboard timed as in 1.

Results: a table on stdout and bench/results/collection-<UTC timestamp>.json (and
collection-latest.json unless --quick).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _p in (ROOT / "src", ROOT / "bench"):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import ledger_bench as LB  # noqa: E402

from gongji.adapters.db.migrate import upgrade  # noqa: E402
from gongji.bootstrap import Gongji, bootstrap  # noqa: E402
from gongji.devtools import pg_cluster  # noqa: E402
from gongji.domain.clock import SHANGHAI, FixedClock  # noqa: E402
from gongji.services import auth  # noqa: E402
from gongji.services.audit import Channel  # noqa: E402
from gongji.services.auth import Role  # noqa: E402
from gongji.services.collection import progress, task, units  # noqa: E402
from gongji.services.registry.persons import Ctx  # noqa: E402
from gongji.services.resident import channels  # noqa: E402

CLOCK_AT = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
YEAR = 2027
DAY = date(2026, 11, 23)
DISTRICTS = ("620102", "620103", "620104", "620105", "620111", "620702", "620722", "620723", "620724", "620725")


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _pg(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def seed(dsn: str, residents: int, n_units: int) -> dict[str, Any]:
    import psycopg

    towns = max(1, n_units // 10)
    per_town = n_units // towns
    started = time.perf_counter()
    with psycopg.connect(dsn) as c:
        c.execute(
            """INSERT INTO collection_unit (id, code, name, kind, parent_id, region_code, active, created_at)
               SELECT t, d.code || lpad(((t - 1) / %(nd)s + 1)::text, 3, '0'), '镇' || t, 'town', NULL, d.code, true, now()
               FROM generate_series(1, %(towns)s) t
               JOIN (SELECT code, ord FROM unnest(%(districts)s::text[]) WITH ORDINALITY AS x(code, ord)) d
                 ON d.ord = (t - 1) %% %(nd)s + 1""",
            {"towns": towns, "districts": list(DISTRICTS), "nd": len(DISTRICTS)},
        )
        c.execute(
            """INSERT INTO collection_unit (id, code, name, kind, parent_id, region_code, active, created_at)
               SELECT %(towns)s + (t - 1) * %(per)s + v, u.code || lpad(v::text, 3, '0'), '村' || t || '-' || v,
                      'village', t, u.region_code, true, now()
               FROM generate_series(1, %(towns)s) t JOIN collection_unit u ON u.id = t,
                    generate_series(1, %(per)s) v""",
            {"towns": towns, "per": per_town},
        )
        c.execute(
            "SELECT setval(pg_get_serial_sequence('collection_unit', 'id'), (SELECT max(id) FROM collection_unit))"
        )
        c.execute(
            """INSERT INTO person (id, cert_type, cert_no, name, sex, birth_date, phone, hukou_region, created_at)
               SELECT i, '01', 'B' || lpad(i::text, 17, '0'), '居民' || i, '1', date '1980-01-01' + (i %% 15000),
                      NULL, NULL, now()
               FROM generate_series(1, %(n)s) i""",
            {"n": residents},
        )
        c.execute("SELECT setval(pg_get_serial_sequence('person', 'id'), %(n)s)", {"n": residents})
        # real identity numbers for the persons part 2 pays through the use case (id ending in 99)
        from gongji.domain.ids import make_id_number

        valid = [
            (make_id_number("620702", date(1960, 1, 1) + timedelta(days=i // 100), 1), i)
            for i in range(99, residents + 1, 100)
        ]
        with c.cursor() as cur:
            cur.executemany("UPDATE person SET cert_no = %s WHERE id = %s", valid)
        lowers = towns * per_town
        c.execute(
            """INSERT INTO collection_member (person_id, unit_id, basis, since)
               SELECT i, %(towns)s + 1 + (i %% %(lowers)s), 'household', date '2026-01-01'
               FROM generate_series(1, %(n)s) i""",
            {"n": residents, "towns": towns, "lowers": lowers},
        )
        c.execute(
            """INSERT INTO enrollment (person_id, insutype, region_code, status, psn_type, start_date)
               SELECT m.person_id, '390', u.region_code, 'normal', '15', date '2020-01-01'
               FROM collection_member m JOIN collection_unit u ON u.id = m.unit_id"""
        )
        c.execute("ANALYZE")
    return {"units": towns + towns * per_town, "townships": towns, "villages": towns * per_town,
            "residents": residents, "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


PAY_SQL = """INSERT INTO resident_premium (person_id, benefit_year, insutype, region_code, status, individual_fen,
                  paid_fen, channel, paid_at, created_at, waiting_months, years_broken, bought_back_months)
             SELECT t.person_id, 2027, '390', '620100', 'paid', 40000, 40000, 'bank',
                    timestamptz '2026-09-01 10:00+08' + ((t.person_id * 7919) %% 83) * interval '1 day', now(), 0, 0, 0
             FROM collection_task t
             WHERE t.benefit_year = 2027 AND t.status = 'in' AND t.person_id %% 100 < %(share)s
               AND t.person_id %% 100 <> 99"""


def pay_bulk(dsn: str, share: int) -> dict[str, Any]:
    """55% of the task paid on spread days (persons whose id ends in 99 are kept unpaid for part 2)."""
    import psycopg

    with psycopg.connect(dsn) as c:
        c.execute("CREATE TABLE rp_copy (LIKE resident_premium INCLUDING ALL)")
        t0 = time.perf_counter()
        n = c.execute(PAY_SQL.replace("INSERT INTO resident_premium", "INSERT INTO rp_copy"), {"share": share}).rowcount
        bare = time.perf_counter() - t0
        c.execute("DROP TABLE rp_copy")
        t0 = time.perf_counter()
        c.execute(PAY_SQL, {"share": share})
        with_trigger = time.perf_counter() - t0
        c.execute("ANALYZE")
        rows = c.execute("SELECT count(*), sum(paid) FROM collection_paid_day").fetchone()
    assert rows is not None
    return {
        "paid_rows": n,
        "bulk_insert_without_trigger_s": round(bare, 2),
        "bulk_insert_with_trigger_s": round(with_trigger, 2),
        "trigger_us_per_row_bulk": round((with_trigger - bare) / max(1, n) * 1e6, 1),
        "paid_day_rows": rows[0],
        "paid_day_sum": int(rows[1] or 0),
    }


def timed(fn: Any, repeat: int) -> dict[str, float]:
    fn()  # warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"median_ms": round(statistics.median(times), 1), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1),
            "max_ms": round(times[-1], 1)}  # fmt: skip


def dashboard(gj: Gongji, principal: Any, area: str, repeat: int) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def once() -> None:
        def go(uow: Any) -> None:
            scope = units.scope_of(uow, principal)
            ov = progress.overview(uow, gj.profile, scope, benefit_year=YEAR, day=DAY, area=area)
            out["children"], out["task"], out["paid"] = len(ov.children), ov.total.task, ov.total.paid

        gj.run(go)

    return timed(once, repeat) | out


def payments(gj: Gongji, principal: Any, dsn: str, n: int) -> dict[str, Any]:
    """Real payments with and without the trigger; then the single-row micro-measure."""
    import psycopg

    with psycopg.connect(dsn) as c:
        people = [r[0] for r in c.execute(
            "SELECT p.cert_no FROM person p JOIN collection_task t ON t.person_id = p.id AND t.benefit_year = 2027 "
            "WHERE p.id %% 100 = 99 ORDER BY p.id LIMIT %(n)s", {"n": 2 * n}
        )]  # fmt: skip
    ctx = Ctx(principal=principal, channel=Channel("bench"), clock=gj.clock)

    def pay(certs: list[str]) -> float:
        t0 = time.perf_counter()
        for i, cert in enumerate(certs):

            def go(uow: Any, cert: str = cert, i: int = i) -> None:
                channels.record_payment(uow, ctx, gj.profile, cert_no=cert, benefit_year=YEAR, amount_fen=40000,
                                        channel="bank", reference=f"BENCH-{cert}-{i}")  # fmt: skip
                uow.commit()

            gj.run(go)
        return (time.perf_counter() - t0) / max(1, len(certs)) * 1000

    half = len(people) // 2
    with_ms = pay(people[:half])
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("ALTER TABLE resident_premium DISABLE TRIGGER collection_paid_count")
    without_ms = pay(people[half:])
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("ALTER TABLE resident_premium ENABLE TRIGGER collection_paid_count")
    micro = {}
    with psycopg.connect(dsn, autocommit=True) as c:
        ids = [r[0] for r in c.execute("SELECT id FROM person WHERE id % 100 = 98 ORDER BY id LIMIT 2000")]
        for label, enable in (("with_trigger", True), ("without_trigger", False)):
            c.execute(f"ALTER TABLE resident_premium {'ENABLE' if enable else 'DISABLE'} TRIGGER collection_paid_count")
            chunk = ids[: len(ids) // 2] if enable else ids[len(ids) // 2 :]
            t0 = time.perf_counter()
            for pid in chunk:
                c.execute(
                    "INSERT INTO resident_premium (person_id, benefit_year, insutype, region_code, status, "
                    "individual_fen, paid_fen, channel, paid_at, created_at, waiting_months, years_broken, "
                    "bought_back_months) VALUES (%s, 2028, '390', '620100', 'paid', 40000, 40000, 'bank', now(), "
                    "now(), 0, 0, 0)",
                    (pid,),
                )
            micro[label] = (time.perf_counter() - t0) / max(1, len(chunk)) * 1e6
        c.execute("ALTER TABLE resident_premium ENABLE TRIGGER collection_paid_count")
    return {
        "payments_each": half,
        "record_payment_ms_with_trigger": round(with_ms, 2),
        "record_payment_ms_without_trigger": round(without_ms, 2),
        "single_insert_us_with_trigger": round(micro["with_trigger"], 1),
        "single_insert_us_without_trigger": round(micro["without_trigger"], 1),
        "trigger_us_per_payment": round(micro["with_trigger"] - micro["without_trigger"], 1),
    }


def big_province(dsn: str, n_units: int, days: int = 122) -> None:
    """Synthetic aggregates only, for ``n_units`` villages of province 63 (青海省, otherwise empty)."""
    import psycopg

    towns = n_units // 10
    with psycopg.connect(dsn) as c:
        base = c.execute("SELECT max(id) FROM collection_unit").fetchone()[0]  # type: ignore[index]
        # 50 townships per district, 10 districts per city: codes stay 9 and 12 digits
        district = "'63' || lpad(((t - 1) / 500 + 1)::text, 2, '0') || lpad((((t - 1) / 50) % 10 + 1)::text, 2, '0')"
        c.execute(
            f"""INSERT INTO collection_unit (id, code, name, kind, parent_id, region_code, active, created_at)
               SELECT %(b)s + t, {district} || lpad(((t - 1) % 50 + 1)::text, 3, '0'), '镇' || t, 'town', NULL,
                      {district}, true, now()
               FROM generate_series(1, %(towns)s) t""".replace("%", "%%").replace("%%(", "%("),
            {"b": base, "towns": towns},
        )
        c.execute(
            """INSERT INTO collection_unit (id, code, name, kind, parent_id, region_code, active, created_at)
               SELECT %(b)s + %(towns)s + (t - 1) * 10 + v, u.code || lpad(v::text, 3, '0'),
                      '村' || t || '-' || v, 'village', u.id, u.region_code, true, now()
               FROM generate_series(1, %(towns)s) t JOIN collection_unit u ON u.id = %(b)s + t,
                    generate_series(1, 10) v""",
            {"b": base, "towns": towns},
        )
        c.execute(
            """INSERT INTO collection_unit_stat (unit_id, benefit_year, task_count)
               SELECT id, 2027, 1250 FROM collection_unit WHERE region_code LIKE '63%' AND parent_id IS NOT NULL"""
        )
        c.execute(
            """INSERT INTO collection_paid_day (unit_id, benefit_year, day, paid)
               SELECT u.id, 2027, date '2026-09-01' + d, 1 + (u.id + d) %% 12
               FROM collection_unit u, generate_series(0, %(days)s - 1) d
               WHERE u.region_code LIKE '63%%' AND u.parent_id IS NOT NULL""",
            {"days": days},
        )
        c.execute(  # what the triggers would have rolled up per district
            """INSERT INTO collection_region_day (region_code, benefit_year, day, paid)
               SELECT u.region_code, p.benefit_year, p.day, sum(p.paid) FROM collection_paid_day p
               JOIN collection_unit u ON u.id = p.unit_id WHERE u.region_code LIKE '63%'
               GROUP BY u.region_code, p.benefit_year, p.day"""
        )
        c.execute("ANALYZE")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--residents", type=int, default=1_000_000)
    ap.add_argument("--units", type=int, default=1000)
    ap.add_argument("--payments", type=int, default=400, help="real payments per variant (with/without trigger)")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--big-units", type=int, default=20_000)
    ap.add_argument("--quick", action="store_true", help="50,000 residents, 1,000 units, 100 payments, 5,000 big units")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.residents, args.payments, args.repeat, args.big_units = 50_000, 100, 10, 5_000
    if not pg_cluster.available():
        say("PostgreSQL 15 binaries not found: make services")
        return 2
    out: dict[str, Any] = {"command": " ".join(sys.argv), "params": vars(args)}
    cluster = pg_cluster.start()
    tmp = Path(tempfile.mkdtemp(prefix="gongji-collection-bench-"))
    try:
        url = cluster.create_database("gongji")
        dsn = _pg(url)
        upgrade(url)
        gj = bootstrap(LB.bench_settings(url, tmp / "bench.log"), clock=FixedClock(CLOCK_AT))
        with gj.uow() as uow:
            user = auth.create_user(uow, username="bench_staff", password="Bench@2026x", role=Role.STAFF,
                                    display_name="压测", regions=["620000", "630000"])  # fmt: skip
            uow.flush()
            principal = auth.principal_of(uow, user)
            uow.commit()
        say(f"seeding {args.residents:,} residents in {args.units:,} units")
        out["seed"] = seed(dsn, args.residents, args.units)
        say(f"seeded {out['seed']}")
        ctx = Ctx(principal=principal, channel=Channel("bench"), clock=gj.clock)
        t0 = time.perf_counter()
        for d in DISTRICTS:

            def go(uow: Any, d: str = d) -> None:
                task.compute(uow, ctx, region_code=d, benefit_year=YEAR)
                uow.commit()

            gj.run(go)
        out["task_compute_s"] = round(time.perf_counter() - t0, 1)
        say(f"task computed in {out['task_compute_s']} s; paying 55% in bulk")
        out["bulk"] = pay_bulk(dsn, 55)
        say(f"bulk {out['bulk']}")
        with gj.uow() as uow:
            town = uow.session.scalar(
                __import__("sqlalchemy").text("SELECT min(id) FROM collection_unit WHERE region_code = '620702'")
            )
        out["dashboard"] = {
            "province 62": dashboard(gj, principal, "62", args.repeat),
            "district 620702": dashboard(gj, principal, "620702", args.repeat),
            f"township t{town}": dashboard(gj, principal, f"t{town}", args.repeat),
        }
        say(f"dashboard {out['dashboard']}")
        out["per_payment"] = payments(gj, principal, dsn, args.payments)
        say(f"per payment {out['per_payment']}")
        big_province(dsn, args.big_units)
        out["big_province"] = {"villages": args.big_units, "days": 122,
                               "province 63": dashboard(gj, principal, "63", args.repeat)}  # fmt: skip
        say(f"big province {out['big_province']}")
        out["machine"] = LB.machine_info()
        gj.engine.dispose()
    finally:
        cluster.stop()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if not args.no_write:
        results = ROOT / "bench" / "results"
        results.mkdir(exist_ok=True)
        name = f"collection-{stamp}{'-quick' if args.quick else ''}.json"
        (results / name).write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str))
        if not args.quick:
            (results / "collection-latest.json").write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    print(json.dumps({k: out[k] for k in ("seed", "task_compute_s", "bulk", "dashboard", "per_payment", "big_province")},
                     ensure_ascii=False, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
