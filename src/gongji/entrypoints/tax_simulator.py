"""The tax bureau's side of the weekly reconciliation (协同对账, seed 003 附件三(二)5), simulated.

It holds only what the tax side holds: a connection to the intermediate tables
(``adapters.db.tax_exchange.tax_side_engine``), never the platform's own tables. ``compare``
reads a published batch, takes it as the tax bureau's own record of the week, spoils that record
the four ways a real bureau's record differs — a row it lacks (``missing``), an amount that
differs (``amount``), a status it did not update (``status``: still 未缴费), a row medical
insurance never had (``extra``) — compares, and writes each difference back with its totals.
``apply`` reads the resolutions medical insurance wrote back, aligns its record to them, and
marks the batch ``balanced`` when its totals then equal the published ones.

The record the bureau compared is kept in the intermediate table itself: the published rows with
the tax values of each difference not yet resolved, so both steps may run in separate processes
(``gongji tax-sim compare|apply --week``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from gongji.adapters.db import tax_exchange as X

ALL_KINDS = ("missing", "amount", "status", "extra")
Key = tuple[str, str]  # (request_id, movement)


@dataclass(frozen=True)
class Outcome:
    batch_no: str
    state: str
    differences: int
    row_count: int
    total_fen: int
    paid_fen: int


def _detail(conn: Any, batch_no: str) -> dict[Key, dict[str, Any]]:
    rows = conn.execute(
        select(X.recon_detail).where(X.recon_detail.c.batch_no == batch_no).order_by(X.recon_detail.c.line_no)
    ).mappings()
    return {(r["request_id"], r["movement"]): dict(r) for r in rows}


def _batch(conn: Any, batch_no: str) -> dict[str, Any]:
    row = conn.execute(select(X.recon_batch).where(X.recon_batch.c.batch_no == batch_no)).mappings().first()
    if row is None:
        raise LookupError(f"batch {batch_no} not published")
    return dict(row)


def _totals(book: dict[Key, dict[str, Any]]) -> tuple[int, int, int]:
    rows = list(book.values())
    return (
        len(rows),
        sum(r["amount_fen"] for r in rows),
        sum(r["amount_fen"] for r in rows if r["status"] == "paid"),
    )


def spoil(published: dict[Key, dict[str, Any]], kinds: Iterable[str], batch_no: str) -> dict[Key, dict[str, Any]]:
    """The tax bureau's record: the published rows, spoiled deterministically (distinct deductions
    for missing / amount / status in line order; one extra row)."""
    kinds = set(kinds)
    book = {k: dict(v) for k, v in published.items()}
    deductions = [k for k, v in published.items() if v["movement"] == "deduct"]
    picks = iter(deductions)
    for kind in ("missing", "amount", "status"):
        if kind not in kinds:
            continue
        key = next(picks, None)
        if key is None:
            break
        if kind == "missing":
            del book[key]
        elif kind == "amount":
            book[key]["amount_fen"] += 100  # 税务记录多1元
        else:
            book[key]["status"] = "unpaid"  # 划扣到账信息未同步：税务仍为未缴费
    if "extra" in kinds and published:
        model = next(iter(published.values()))
        extra_id = f"TAXSIM-{batch_no}-X1"
        book[(extra_id, "deduct")] = {
            "request_id": extra_id, "movement": "deduct", "amount_fen": model["amount_fen"], "status": "paid",
            "relative_cert_no": model["relative_cert_no"], "relative_region": model["relative_region"],
        }  # fmt: skip
    return book


def compare(engine: Engine, batch_no: str, *, now: datetime, kinds: Iterable[str] = ALL_KINDS) -> Outcome:
    """Compare the tax bureau's record with the published batch and write back the differences."""
    with engine.begin() as conn:
        batch = _batch(conn, batch_no)
        if batch["state"] != "published":
            raise RuntimeError(f"batch {batch_no} was compared already ({batch['state']})")
        published = _detail(conn, batch_no)
        book = spoil(published, kinds, batch_no)
        diffs: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None, str]] = []
        for key, mine in published.items():
            held = book.get(key)
            if held is None:
                diffs.append(("missing", mine, None, "税务无此划扣记录"))
            elif held["amount_fen"] != mine["amount_fen"]:
                diffs.append(("amount", mine, held, "划扣金额不一致"))
            elif held["status"] != mine["status"]:
                diffs.append(("status", mine, held, "缴费状态不一致"))
        for key, held in book.items():
            if key not in published:
                diffs.append(("extra", None, held, "医保无此划扣记录"))
        for n, (kind, ours, theirs, note) in enumerate(diffs, start=1):
            row = ours or theirs
            assert row is not None
            conn.execute(
                insert(X.recon_diff).values(
                    batch_no=batch_no, diff_no=n, kind=kind, request_id=row["request_id"], movement=row["movement"],
                    relative_cert_no=row["relative_cert_no"], relative_region=row["relative_region"],
                    mi_amount_fen=ours["amount_fen"] if ours else None,
                    tax_amount_fen=theirs["amount_fen"] if theirs else None,
                    mi_status=ours["status"] if ours else None, tax_status=theirs["status"] if theirs else None,
                    note=note, written_at=now,
                )
            )  # fmt: skip
        count, total, paid = _totals(book)
        state = "balanced" if not diffs else "compared"
        conn.execute(
            update(X.recon_batch)
            .where(X.recon_batch.c.batch_no == batch_no)
            .values(
                state=state, compared_at=now, diff_count=len(diffs), tax_row_count=count, tax_total_fen=total,
                tax_paid_fen=paid, balanced_at=now if not diffs else None,
            )
        )  # fmt: skip
    return Outcome(batch_no, state, len(diffs), count, total, paid)


def apply(engine: Engine, batch_no: str, *, now: datetime) -> Outcome:
    """Align the tax bureau's record with the resolutions written back; balanced when every
    difference is resolved and the totals equal the published ones."""
    with engine.begin() as conn:
        batch = _batch(conn, batch_no)
        published = _detail(conn, batch_no)
        book = {k: dict(v) for k, v in published.items()}
        diffs = list(conn.execute(select(X.recon_diff).where(X.recon_diff.c.batch_no == batch_no)).mappings())
        unresolved = 0
        for d in diffs:
            key = (d["request_id"], d["movement"])
            if d["resolution"] is not None:
                if d["final_amount_fen"] is None:
                    book.pop(key, None)
                else:
                    book[key] = {**book.get(key, {}), "amount_fen": d["final_amount_fen"], "status": d["final_status"]}
                if d["applied_at"] is None:
                    conn.execute(
                        update(X.recon_diff)
                        .where(X.recon_diff.c.batch_no == batch_no, X.recon_diff.c.diff_no == d["diff_no"])
                        .values(applied_at=now)
                    )
                continue
            unresolved += 1
            if d["kind"] == "missing":
                book.pop(key, None)
            else:
                book[key] = {**book.get(key, {}), "amount_fen": d["tax_amount_fen"], "status": d["tax_status"]}
        count, total, paid = _totals(book)
        agreed = (count, total, paid) == (batch["row_count"], batch["total_fen"], batch["paid_fen"])
        state = "balanced" if agreed and not unresolved else "compared"
        conn.execute(
            update(X.recon_batch)
            .where(X.recon_batch.c.batch_no == batch_no)
            .values(
                state=state, tax_row_count=count, tax_total_fen=total, tax_paid_fen=paid,
                balanced_at=now if state == "balanced" else None,
            )
        )  # fmt: skip
        n = conn.execute(select(func.count()).select_from(X.recon_diff).where(X.recon_diff.c.batch_no == batch_no))
        return Outcome(batch_no, state, int(n.scalar_one()), count, total, paid)
