#!/usr/bin/env python
"""Monthly clearing benchmark (issue 15 §7): ``clearing.run_month`` over N settlements of one
month against one bare aggregate scan of the same table, in the same run, on PostgreSQL.

    python bench/clearing_bench.py [--settlements 10000000] [--quick] [--repeat 3]

A throwaway cluster (gongji.devtools.pg_cluster: fsync off, shared_buffers default 128MB) is
migrated, then loaded by ``INSERT … SELECT generate_series`` (not timed): N settlement rows of
2026-11 over the 11 cities of Zhejiang (pooling regions at city level), each with its insured
party; 20 % also paid by an authorizer (family funds), half of those insured in another city; of
the settlements 10 % are off-site (treatment place ≠ insured place). ANALYZE, then a warm-up of
both queries. Timed, alternating, ``--repeat`` times each:

* **bare scan**: ``SELECT count(*), sum(acct_mulaid_pay_fen) FROM settlement WHERE setl_time in
  the month`` — the least any monthly figure over the table costs;
* **clearing**: ``services.backoffice.clearing.run_month`` for 2026-11 through the unit of work,
  as ``gongji clearing run`` does (one statement over settlement_party ⋈ settlement giving the
  region-pair lines and, independently of them, each city's net from its detail rows; the lines
  and the balance table written; the nets compared; the commit). Regenerating a run
  replaces its lines, so every repetition does the full work.

Prints medians and the ratio; writes bench/results/clearing-<UTC>.json (and clearing-latest.json
unless --quick). ``--quick``: 200,000 settlements, for ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from sqlalchemy import text  # noqa: E402

from gongji.adapters.db.migrate import upgrade  # noqa: E402
from gongji.bootstrap import bootstrap  # noqa: E402
from gongji.config import Settings  # noqa: E402
from gongji.devtools import pg_cluster  # noqa: E402
from gongji.domain.clock import SHANGHAI, FixedClock  # noqa: E402
from gongji.services.audit import Channel  # noqa: E402
from gongji.services.auth import Principal, Role  # noqa: E402
from gongji.services.backoffice import clearing as C  # noqa: E402
from gongji.services.registry.context import Ctx  # noqa: E402

CITIES = [f"33{c:02d}00" for c in range(1, 12)]


def say(msg: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)


def load(engine: Any, n: int) -> dict[str, int]:
    """N settlements of 2026-11 and their parties, by generate_series (one person and one visit:
    the foreign keys hold; a distinct chrg_bchno keeps the partial unique index)."""
    cities = "ARRAY[" + ",".join(f"'{c}'" for c in CITIES) + "]::varchar[]"
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO person (id, cert_type, cert_no, name, sex, created_at)"
                " VALUES (1, '01', '330106196001010011', '基准', '1', now())"
            )
        )
        c.execute(
            text(
                "INSERT INTO visit (id, person_id, fixmedins_code, insutype, ipt_otp_no, begntime, status,"
                " treatment_region, insured_region, msgid, created_at)"
                " VALUES (1, 1, 'H33010000001', '310', 'B1', TIMESTAMP '2026-11-01', 'closed',"
                " '330100', '330100', 'b1', now())"
            )
        )
        c.execute(
            text(
                f"""
INSERT INTO settlement (id, visit_id, person_id, fixmedins_code, msgid, chrg_bchno, insutype, med_type, clr_type,
  use_kind, institution_level, acct_used_flag, year, setl_time, status, refd_setl_flag, medfee_fen,
  fulamt_ownpay_fen, overlmt_selfpay_fen, preselfpay_fen, inscp_fen, act_pay_dedc_fen, hifp_pay_fen,
  fund_pay_sumamt_fen, psn_part_amt_fen, acct_pay_fen, acct_mulaid_pay_fen, psn_cash_pay_fen,
  hosp_part_amt_fen, balc_fen, pool_ratio_permille, year_deductible_fen, treatment_region, insured_region,
  out_type, created_at)
SELECT g, 1, 1, 'H' || lpad((g % 997)::text, 11, '0'), 'm' || g, g::text, '310', '11', '11', 'outpatient', 2, '2',
  2026, TIMESTAMP '2026-11-01' + (g % 2592000) * INTERVAL '1 second', 'settled', '0', 10000 + g % 50000,
  0, 0, 0, 10000 + g % 50000, 0, 0, 0, 10000 + g % 50000, 10000 + g % 50000,
  CASE WHEN g % 5 = 0 THEN 5000 + g % 20000 ELSE 0 END, 0, 0, 0, 700, 0,
  CASE WHEN g % 10 = 3 THEN ({cities})[1 + (g / 11 + 5) % 11] ELSE ({cities})[1 + g % 11] END,
  ({cities})[1 + g % 11],
  CASE WHEN g % 10 = 3 THEN '1' ELSE '0' END, now()
FROM generate_series(1, :n) AS g
"""
            ),
            {"n": n},
        )
        c.execute(
            text(
                "INSERT INTO settlement_party (settlement_id, role, person_id, region_code, amount_fen)"
                " SELECT id, 'insured', 1, insured_region, acct_pay_fen - acct_mulaid_pay_fen FROM settlement"
            )
        )
        c.execute(
            text(
                f"INSERT INTO settlement_party (settlement_id, role, person_id, region_code, amount_fen)"
                f" SELECT id, 'authorizer', 1, CASE WHEN id % 2 = 0 THEN ({cities})[1 + (id / 7) % 11]"
                f" ELSE insured_region END, acct_mulaid_pay_fen FROM settlement WHERE acct_mulaid_pay_fen > 0"
            )
        )
        c.execute(text("SELECT setval(pg_get_serial_sequence('settlement', 'id'), :n)"), {"n": n})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE settlement"))
        c.execute(text("VACUUM ANALYZE settlement_party"))
        parties = c.execute(text("SELECT count(*) FROM settlement_party")).scalar_one()
        cross = c.execute(
            text(
                "SELECT count(*) FROM settlement_party p JOIN settlement s ON s.id = p.settlement_id"
                " WHERE p.role = 'authorizer' AND substr(p.region_code, 1, 4) <> substr(s.insured_region, 1, 4)"
            )
        ).scalar_one()
    return {"settlements": n, "parties": int(parties), "cross_city_rows": int(cross)}


BARE = text(
    "SELECT count(*), sum(acct_mulaid_pay_fen) FROM settlement"
    " WHERE setl_time >= TIMESTAMP '2026-11-01' AND setl_time < TIMESTAMP '2026-12-01'"
)


def timed(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settlements", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200,000 settlements")
    args = parser.parse_args()
    n = 200_000 if args.quick else args.settlements
    cluster = pg_cluster.start()
    try:
        url = cluster.create_database("clearing_bench")
        upgrade(url)
        clock = FixedClock(datetime(2026, 12, 3, 9, 0, tzinfo=SHANGHAI))
        gj = bootstrap(
            Settings(
                database_url=url,
                log_file=Path("/tmp/gongji-clearing-bench.log"),
                token_ttl_minutes=60,
                province="zhejiang",
                profiles_dir=None,
            ),
            clock=clock,
        )
        say(f"loading {n:,} settlements")
        load_s, shape = timed(lambda: load(gj.engine, n))
        say(f"loaded in {load_s:.1f} s: {shape}")
        system = Principal(user_id=0, username="system", role=Role.STAFF, display_name="系统", regions=("330000",))
        ctx = Ctx(principal=system, channel=Channel("bench"), clock=clock)

        def clearing() -> dict[str, Any]:
            def go(uow: Any) -> dict[str, Any]:
                run = C.run_month(uow, ctx, "33", "2026-11")
                view = {"items": int(run.items), "total_fen": int(run.total_fen), "ok": bool(run.checked_ok)}
                uow.commit()
                return view

            return gj.run(go)

        def bare() -> tuple[int, int]:
            with gj.engine.connect() as c:
                count, total = c.execute(BARE).one()
            return int(count), int(total)

        bare(), clearing()  # warm-up (and the run row exists: later runs regenerate it)
        bare_times, clearing_times = [], []
        result: dict[str, Any] = {}
        for i in range(args.repeat):
            t, _ = timed(bare)
            bare_times.append(t)
            t, result = timed(clearing)
            clearing_times.append(t)
            say(f"repeat {i + 1}: bare scan {bare_times[-1]:.3f} s, clearing {clearing_times[-1]:.3f} s")
        bare_med, clearing_med = statistics.median(bare_times), statistics.median(clearing_times)
        out = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "quick": args.quick,
            "shape": shape,
            "load_seconds": round(load_s, 1),
            "bare_scan_seconds": [round(x, 4) for x in bare_times],
            "clearing_seconds": [round(x, 4) for x in clearing_times],
            "bare_median": round(bare_med, 4),
            "clearing_median": round(clearing_med, 4),
            "ratio": round(clearing_med / bare_med, 2),
            "clearing_result": result,
            "settings": "throwaway cluster (pg_cluster): fsync=off, shared_buffers 128MB, 2 cores shared",
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        (RESULTS_DIR / f"clearing-{stamp}{'-quick' if args.quick else ''}.json").write_text(json.dumps(out, indent=2))
        if not args.quick:
            (RESULTS_DIR / "clearing-latest.json").write_text(json.dumps(out, indent=2))
        gj.engine.dispose()
        return 0 if result.get("ok") else 1
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
