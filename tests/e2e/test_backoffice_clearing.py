"""The monthly clearing between pooling regions (issue 15 §3; seed 003 附件二(二)3, (三)3), on
SQLite and PostgreSQL: two cities advancing for each other in one month give known totals and a
known net; a difference raised and resolved item by item; the payment notice's 15 working days
across the National Day holiday, and a late remittance flagged; the ledger closes to zero."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import Forbidden, InvalidStateTransition
from gongji.services import ledger
from gongji.services.backoffice import clearing as C
from gongji.services.backoffice.advances import advance_account, held_account
from tests import backoffice_support as B
from tests import support as S

HZ, NB = "330100", "330200"


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def at(p: B.Province, clock: Any, when: str) -> None:
    clock.at = datetime.fromisoformat(when).replace(tzinfo=SHANGHAI)


def month_of_two_cities(p: B.Province, then: Any = None) -> dict[str, int]:
    """杭州 authorizer, 宁波 relative: 80.00 local at 宁波 and 20.00 off-site at 温州 (宁波 advances
    100.00 for 杭州); 宁波 authorizer, 杭州 relative: 30.00 at 杭州 (杭州 advances 30.00)."""
    hz = B.giver(p, B.HANGZHOU, "钱大", 500_00)
    nb = B.giver(p, B.NINGBO, "孙大", 500_00)
    nb_child = B.relative_of(p, hz, B.NINGBO, "钱一")
    hz_child = B.relative_of(p, nb, B.HANGZHOU, "孙一")
    if then is not None:
        then()
    B.settle(p, B.NINGBO, nb_child, 80_00)
    offsite = B.settle(p, B.WENZHOU, nb_child, 20_00)
    B.settle(p, B.HANGZHOU, hz_child, 30_00)
    return {"offsite_setl_id": int(offsite["setl_id"])}


def call(p: B.Province, who: Any, fn: Any, *args: Any, **kw: Any) -> Any:
    def go(uow: Any) -> Any:
        out = fn(uow, S.ctx(p.gj, who), *args, **kw)
        uow.commit()
        return getattr(out, "id", out)

    return p.gj.run(go)


def view(p: B.Province, run_id: int) -> dict[str, Any]:
    return p.gj.run(lambda uow: C.run_view(uow, C.get_run(uow, run_id), p.gj.clock.today()))


def city(v: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in v["cities"] if c["city_code"] == code)


def test_two_cities_advancing_for_each_other_net_by_the_difference_seed003_2_2_3(zj, clock):
    month_of_two_cities(zj)
    at(zj, clock, "2026-12-03T09:00")
    run_id = call(zj, zj.office, C.run_month, "33", "2026-11")
    v = view(zj, run_id)
    assert (v["items"], v["total_fen"], v["checked_ok"]) == (3, 130_00, True)
    assert (city(v, HZ)["owed_to_others_fen"], city(v, HZ)["owed_by_others_fen"], city(v, HZ)["net_fen"]) == (
        100_00,
        30_00,
        -70_00,
    )
    assert (city(v, NB)["owed_to_others_fen"], city(v, NB)["owed_by_others_fen"], city(v, NB)["net_fen"]) == (
        30_00,
        100_00,
        70_00,
    )
    assert sum(c["net_fen"] for c in v["cities"]) == 0
    check = zj.gj.run(lambda uow: C.check(uow, C.get_run(uow, run_id)))
    assert check.ok and check.mismatched == []
    assert v["steps"][0] == {
        "step": "generate",
        "due": "2026-12-05",
        "done": "2026-12-03",
        "state": "done",
        "late_working_days": 0,
    }

    hz_staff = S.staff(zj.gj, [HZ])
    nb_staff = S.staff(zj.gj, [NB])
    with pytest.raises(Forbidden):  # a city confirms only its own figures
        call(zj, hz_staff, C.confirm, run_id, NB, "local")
    for who, code in ((hz_staff, HZ), (nb_staff, NB)):
        call(zj, who, C.confirm, run_id, code, "local")
        call(zj, who, C.confirm, run_id, code, "offsite")
    call(zj, zj.office, C.make_tables, run_id)
    call(zj, zj.office, C.notice, run_id)
    with pytest.raises(InvalidStateTransition):  # the province transfers only what was remitted
        call(zj, zj.office, C.transfer, run_id, NB)
    call(zj, hz_staff, C.remit, run_id, HZ)
    call(zj, zj.office, C.transfer, run_id, NB)
    assert view(zj, run_id)["state"] == "closed"

    def pair_and_positions(uow: Any) -> list[int]:
        codes = [
            advance_account(B.NINGBO, B.HANGZHOU),
            held_account(B.HANGZHOU, B.NINGBO),
            advance_account(B.HANGZHOU, B.NINGBO),
            held_account(B.NINGBO, B.HANGZHOU),
            C.position_account(HZ),
            C.position_account(NB),
            C.province_account("33"),
        ]
        return list(ledger.balances_of(uow, codes).values())

    assert zj.gj.run(pair_and_positions) == [0] * 7  # only the net moved, and everything cleared
    assert zj.gj.run(lambda uow: ledger.check_ledger(uow).ok)


def test_a_difference_is_raised_and_resolved_item_by_item_seed003_2_3_2(zj, clock):
    ids = month_of_two_cities(zj)
    at(zj, clock, "2026-12-03T09:00")
    run_id = call(zj, zj.office, C.run_month, "33", "2026-11")
    hz_staff = S.staff(zj.gj, [HZ])
    call(zj, hz_staff, C.confirm, run_id, HZ, "offsite")
    diff = call(
        zj, hz_staff, C.raise_difference, run_id, city=HZ, settlement_id=ids["offsite_setl_id"], reason="温州就医未到账"
    )
    v = view(zj, run_id)
    assert [d["state"] for d in v["differences"]] == ["open"]
    assert city(v, HZ)["steps"][0]["done"] is None  # the off-site confirmation is withdrawn
    with pytest.raises(InvalidStateTransition):
        call(zj, hz_staff, C.confirm, run_id, HZ, "offsite")
    with pytest.raises(InvalidStateTransition):
        call(zj, zj.office, C.make_tables, run_id)
    with pytest.raises(Forbidden):  # a city does not resolve its own difference
        call(zj, hz_staff, C.resolve, diff, resolution="deferred", note="下月清算")
    call(zj, zj.office, C.resolve, diff, resolution="deferred", note="核实后下月清算")
    v = view(zj, run_id)
    assert v["differences"][0]["resolution"] == "deferred"
    assert (v["items"], v["total_fen"]) == (2, 110_00)
    assert (city(v, HZ)["net_fen"], city(v, NB)["net_fen"]) == (-50_00, 50_00)
    assert zj.gj.run(lambda uow: C.check(uow, C.get_run(uow, run_id)).ok)
    # the deferred row is cleared with the next month's run
    at(zj, clock, "2027-01-04T09:00")
    nxt = call(zj, zj.office, C.run_month, "33", "2026-12")
    v = view(zj, nxt)
    assert (v["items"], v["total_fen"], city(v, HZ)["net_fen"]) == (1, 20_00, -20_00)


def test_a_late_remittance_is_flagged_after_15_working_days_across_national_day_seed003_2_3_4(zj, clock):
    month_of_two_cities(zj, then=lambda: at(zj, clock, "2026-08-20T10:00"))
    at(zj, clock, "2026-09-07T09:00")  # pre-generated after the 5th: late by its working days
    run_id = call(zj, zj.office, C.run_month, "33", "2026-08")
    assert view(zj, run_id)["steps"][0]["state"] == "late"
    hz_staff, nb_staff = S.staff(zj.gj, [HZ]), S.staff(zj.gj, [NB])
    for who, code in ((hz_staff, HZ), (nb_staff, NB)):
        call(zj, who, C.confirm, run_id, code, "local")
        call(zj, who, C.confirm, run_id, code, "offsite")
    at(zj, clock, "2026-09-28T09:00")
    call(zj, zj.office, C.make_tables, run_id)
    call(zj, zj.office, C.notice, run_id)
    # 15 working days from 9-28 skip 10-1…10-7 and count the make-up Saturday 10-10: due 10-23
    at(zj, clock, "2026-10-23T17:00")
    remit = city(view(zj, run_id), HZ)["steps"][-1]
    assert remit == {"step": "remit", "due": "2026-10-23", "done": None, "state": "pending", "late_working_days": 0}
    at(zj, clock, "2026-10-27T09:00")
    remit = city(view(zj, run_id), HZ)["steps"][-1]
    assert (remit["state"], remit["late_working_days"]) == ("overdue", 2)
    assert city(view(zj, run_id), HZ)["overdue"] is True
    call(zj, hz_staff, C.remit, run_id, HZ)
    remit = city(view(zj, run_id), HZ)["steps"][-1]
    assert (remit["state"], remit["done"], remit["late_working_days"]) == ("late", "2026-10-27", 2)
    transfer = city(view(zj, run_id), NB)["steps"][-1]
    assert (transfer["step"], transfer["due"], transfer["state"]) == ("transfer", "2026-11-05", "pending")


def test_the_month_must_have_ended_and_only_province_staff_run_it(zj, clock):
    hz_staff = S.staff(zj.gj, [HZ])
    at(zj, clock, "2026-12-03T09:00")
    with pytest.raises(Forbidden):
        call(zj, hz_staff, C.run_month, "33", "2026-11")
    with pytest.raises(InvalidStateTransition):
        call(zj, zj.office, C.run_month, "33", "2026-12")


def test_a_line_that_disagrees_with_its_detail_rows_fails_the_run_issue15_3_and_7(zj, clock, monkeypatch):
    """Each net equals the sum of its detail rows, checked by the run (issue 15 §3): the run reads
    the detail rows once (§7) yet the check recomputes the nets from the rows, not from the lines;
    a line written wrong (here 0.01 too much) fails the run and nothing is kept."""
    month_of_two_cities(zj)
    at(zj, clock, "2026-12-03T09:00")
    real_insert = C.Q.insert_lines

    def off_by_a_fen(conn: Any, run_id: int, pairs: list[Any]) -> None:
        kind, advancing, owing, items, fen = pairs[0]
        real_insert(conn, run_id, [(kind, advancing, owing, items, fen + 1), *pairs[1:]])

    monkeypatch.setattr(C.Q, "insert_lines", off_by_a_fen)
    with pytest.raises(InvalidStateTransition) as caught:
        call(zj, zj.office, C.run_month, "33", "2026-11")
    assert {city for city, _, _ in caught.value.detail["mismatched"]} == {HZ, NB}
    assert zj.gj.run(lambda uow: C.find_run(uow, "33", "2026-11")) is None
    monkeypatch.undo()

    run_id = call(zj, zj.office, C.run_month, "33", "2026-11")

    def tamper_a_stored_line(uow: Any) -> Any:
        line = C.lines(uow, C.get_run(uow, run_id))[0]
        line.amount_fen += 1
        uow.session.flush()
        C.Q.write_cities(uow.session.connection(), run_id)
        return C.check(uow, C.get_run(uow, run_id))

    tampered = zj.gj.run(tamper_a_stored_line)
    assert not tampered.ok and tampered.nets_sum_fen == 0
    assert {city for city, _, _ in tampered.mismatched} == {HZ, NB}
