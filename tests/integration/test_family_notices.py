"""The authorizer hears of every use of their money and can report one (issue 17, "Citizens"):
"The authorizer is notified (message centre on the page) of each use of their money by a
relative, with institution, amount and time, and can report a use they do not recognise — the
report reaches staff as a possible fraud case" (the fraud flow: seed 003 四(四)). The relative
sees "who pays for them, what was paid and when".
"""

from __future__ import annotations

import pytest

from gongji.adapters.db.models import FamilyUseReport, LedgerTxn
from gongji.domain.errors import InvalidRequest, InvalidStateTransition, NotFound
from gongji.domain.masking import mask_name
from gongji.services.family import notices
from tests import support as S
from tests.integration.test_family_fraud import _fraud, _revoke
from tests.integration.test_family_payment import _pay


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


def _centre(gj, who, **kw):
    return S.committed(gj, lambda uow: notices.message_centre(uow, S.ctx(gj, who), person_id=who.person_id, **kw))


def _unread(gj, who):
    with gj.uow() as uow:
        return notices.unread_count(uow, who.person_id)


def test_each_use_of_the_authorizers_money_is_a_notice_with_amount_and_time_unread_until_opened(gj, office):
    a, relative, _bid = _fraud(gj, office, allocated=30_000, paid=20_000)
    assert _unread(gj, a) == 1
    first = _centre(gj, a)
    (notice,) = first["notices"]
    assert notice["amount_fen"] == 20_000 and notice["unread"] and first["unread"] == 1
    assert notice["at"] is not None and notice["use_name"] == "药店购药"
    assert notice["relative_name"] == mask_name(S.person_name(gj, relative))
    assert _unread(gj, a) == 0, "opening the message centre reads the notices"
    _pay(gj, office, relative, 5_000, use="pharmacy_drugs")
    assert _unread(gj, a) == 1
    again = _centre(gj, a)
    assert [n["unread"] for n in again["notices"]] == [True, False]
    assert [n["amount_fen"] for n in again["notices"]] == [5_000, 20_000]


def test_the_relative_sees_who_paid_for_them_what_and_when(gj, office):
    a, relative, _bid = _fraud(gj, office, paid=12_345)
    me = S.citizen(gj, relative)
    rows = S.committed(gj, lambda uow: notices.paid_for_me(uow, S.ctx(gj, me), person_id=relative))
    (row,) = rows
    assert row["amount_fen"] == 12_345 and row["at"] is not None
    assert row["authorizer_name"] == mask_name(S.person_name(gj, a.person_id))
    assert row["authorizer_name"] != S.person_name(gj, a.person_id)


def test_a_reported_use_reaches_staff_of_the_region_and_a_revocation_opens_the_fraud_case(gj, office):
    a, relative, bid = _fraud(gj, office, paid=20_000)
    (notice,) = _centre(gj, a)["notices"]
    report = S.committed(
        gj, lambda uow: notices.report_use(uow, S.ctx(gj, a), draw_id=notice["draw_id"], note="亲属那天没去药店")
    )
    assert report["status"] == notices.REPORT_OPEN
    (seen,) = S.committed(gj, lambda uow: notices.staff_reports(uow, S.ctx(gj, office)))
    assert seen["amount_fen"] == 20_000 and seen["binding_id"] == bid and seen["case_id"] is None
    assert seen["report"]["note"] == "亲属那天没去药店"
    elsewhere = S.staff(gj, ["330000"])
    assert S.committed(gj, lambda uow: notices.staff_reports(uow, S.ctx(gj, elsewhere))) == []
    # the staff member follows it into the existing fraud flow
    case = _revoke(gj, office, bid)
    (seen,) = S.committed(gj, lambda uow: notices.staff_reports(uow, S.ctx(gj, office)))
    assert seen["case_id"] == case["case_id"]
    S.committed(
        gj, lambda uow: notices.close_report(uow, S.ctx(gj, office), report_id=report["report_id"], note="已立案追回")
    )
    assert S.committed(gj, lambda uow: notices.staff_reports(uow, S.ctx(gj, office))) == []


def test_a_use_is_reported_once_only_by_its_authorizer_and_a_report_moves_no_money(gj, office):
    a, relative, _bid = _fraud(gj, office, paid=20_000)
    (notice,) = _centre(gj, a)["notices"]
    stranger = S.employee_citizen(gj, office, income=10_000)
    before = S.row_counts(gj, (LedgerTxn,))
    with pytest.raises(NotFound):
        S.committed(gj, lambda uow: notices.report_use(uow, S.ctx(gj, stranger), draw_id=notice["draw_id"], note=""))
    S.committed(gj, lambda uow: notices.report_use(uow, S.ctx(gj, a), draw_id=notice["draw_id"], note=""))
    with pytest.raises(InvalidStateTransition):
        S.committed(gj, lambda uow: notices.report_use(uow, S.ctx(gj, a), draw_id=notice["draw_id"], note=""))
    assert S.row_counts(gj, (LedgerTxn,)) == before
    assert S.row_counts(gj, (FamilyUseReport,)) == {"family_use_report": 1}
    (seen,) = S.committed(gj, lambda uow: notices.staff_reports(uow, S.ctx(gj, office)))
    with pytest.raises(InvalidRequest):
        S.committed(
            gj, lambda uow: notices.close_report(uow, S.ctx(gj, office), report_id=seen["report"]["report_id"], note="")
        )
