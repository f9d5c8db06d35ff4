"""Family mutual aid API (家庭共济, SPEC §4) through HTTP, on SQLite and PostgreSQL.

Seeds: 000 (Gansu: the five-step app flow, who may authorize, 共济账户划拨, own account first),
001 (relatives insured in the province only), 003 (Zhejiang practice: a change of relation is
unbind then bind, window service, fraud → stop, receivable, collections, write-off, credit entries).

Every refusal is a clear 4xx with its own ``code`` and writes nothing: the members list, the
balances and the ledger are the same afterwards.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import FamilyBinding, FamilyDraw, FamilyPayment, Institution, LedgerTxn
from gongji.services import auth
from gongji.services.auth import Role
from gongji.services.family import agreement as family_agreement
from tests import support as S
from tests.e2e.conftest import login

GANSU = "620702"  # 甘州区, 张掖市
ZHEJIANG = "330106"  # 西湖区, 杭州市
HOSPITAL = "H62070200001"
AUTHORIZER_NAME = "王建国"


# --- builders ------------------------------------------------------------------------------------


@pytest.fixture
def office(gj):
    """Staff of the whole of Gansu."""
    return S.staff(gj, ["620000"], username="staff_gs")


@pytest.fixture
def authorizer(gj, office) -> int:
    """An employee in 甘州区 with 1,000.00 yuan in the current-year account; logs in as ``wjg``."""
    pid = S.employee(gj, office, region=GANSU, name=AUTHORIZER_NAME, birth=date(1980, 5, 1), income_fen=100_000)
    S.citizen(gj, pid, username="wjg")
    return pid


@pytest.fixture
def me(client, authorizer) -> dict[str, str]:
    return login(client, "wjg")


@pytest.fixture
def child(gj, office) -> int:
    return S.resident(gj, office, region=GANSU, name="王小明", birth=date(2012, 3, 3))


@pytest.fixture
def bound(gj, client, me, child) -> int:
    """The authorizer has confirmed the agreement and bound the child; the binding id."""
    _accept(client, me)
    r = client.post("/api/family/bindings", json=_bind_body(gj, child, "child"), headers=me)
    assert r.status_code == 201, r.text
    return int(r.json()["binding_id"])


@pytest.fixture
def hospital(gj, client) -> dict[str, str]:
    """A designated hospital in 甘州区 and its user (who charges through the payment use case)."""

    def go(uow: Any) -> None:
        uow.session.add(
            Institution(fixmedins_code=HOSPITAL, name="张掖市人民医院", kind="hospital", level=3, region_code=GANSU)
        )
        auth.create_user(
            uow,
            username="hosp_zy",
            password=S.PASSWORD,
            role=Role.INSTITUTION,
            display_name="张掖市人民医院",
            fixmedins_code=HOSPITAL,
        )
        uow.commit()

    gj.run(go)
    return {"username": "hosp_zy"}


def _auditor(gj) -> None:
    def go(uow: Any) -> None:
        auth.create_user(uow, username="auditor_x", password=S.PASSWORD, role=Role.AUDITOR, display_name="审计")
        uow.commit()

    gj.run(go)


def _citizen_employee(gj, office, username: str, *, income: int, name: str = "刘强", birth=date(1978, 1, 1)) -> int:
    pid = S.employee(gj, office, region=GANSU, name=name, birth=birth, income_fen=income)
    S.citizen(gj, pid, username=username)
    return pid


# --- HTTP helpers --------------------------------------------------------------------------------


def _accept(client, headers) -> None:
    version = client.get("/api/family/texts").json()["version"]
    r = client.post("/api/family/agreement", json={"version": version}, headers=headers)
    assert r.status_code == 200, r.text


def _bind_body(gj, relative_id: int, relation: str, *, signer: str = AUTHORIZER_NAME, **changes: Any) -> dict:
    body: dict[str, Any] = {
        "relative_name": S.person_name(gj, relative_id),
        "relative_cert_no": S.person_cert(gj, relative_id),
        "relation": relation,
        "commitment": {"version": family_agreement.texts(gj.profile).version, "signed": True, "signature": signer},
    }
    body.update(changes)
    return body


def _allocate(client, headers, binding_id: int, amount: Any, key: str | None = "alloc-1"):
    extra = {"Idempotency-Key": key} if key is not None else {}
    return client.post(
        f"/api/family/bindings/{binding_id}/allocations", json={"amount_fen": amount}, headers=headers | extra
    )


class _Charged:
    """The answer of an in-process charge, shaped as the HTTP answers the assertions read."""

    def __init__(self, status_code: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.status_code, self._body, self.headers = status_code, body, headers or {}
        self.text = json.dumps(body, ensure_ascii=False)

    def json(self) -> dict[str, Any]:
        return self._body


def _pay(gj, who: dict[str, str], cert_no: str, amount: Any, use: str = "outpatient", key: str = "pay-1") -> _Charged:
    """An institution charging own account → family funds → cash, through the payment use case.

    ``POST /api/family/payments`` was removed (issue 13 §2: a password login could debit anyone by
    ID number); institutions charge through the signed 两定 interface (2207). ``who`` names the
    principal: ``{"username": ...}`` of the user acting."""
    from gongji.domain.errors import GongjiError
    from gongji.services.audit import Channel
    from gongji.services.family import payment as family_payment
    from gongji.services.registry.context import Ctx

    def go(uow: Any) -> _Charged:
        from gongji.adapters.db.models import AppUser

        user = uow.session.scalar(select(AppUser).where(AppUser.username == who["username"]))
        ctx = Ctx(principal=auth.principal_of(uow, user), channel=Channel("test"), clock=gj.clock)
        try:
            result = family_payment.pay_at_institution(
                uow, ctx, gj.profile, cert_no=cert_no, amount_fen=amount, use=use, idempotency_key=key
            )
        except GongjiError as err:
            return _Charged(err.http_status, err.to_dict())
        uow.commit()
        if result.replayed:
            return _Charged(200, result.body, {"Idempotent-Replayed": "true"})
        return _Charged(201, result.body)

    return gj.run(go)


def _members(client, headers) -> dict:
    r = client.get("/api/family/members", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def _account(client, headers) -> dict | None:
    r = client.get("/api/me/overview", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["account"]


def _counts(gj) -> dict[str, int]:
    def go(uow: Any) -> dict[str, int]:
        return {
            m.__name__: uow.session.scalar(select(func.count()).select_from(m))
            for m in (FamilyBinding, LedgerTxn, FamilyPayment, FamilyDraw)
        }

    return gj.run(go)


def _snapshot(gj, client, headers) -> tuple:
    """What a refusal must leave unchanged: my bindings, my balances, the ledger and bindings tables."""
    return _members(client, headers)["bindings"], _account(client, headers), _counts(gj)


def _refused(r, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message"] and body["message_en"], body
    return body


def _binding_status(gj, binding_id: int) -> str:
    return gj.run(lambda uow: uow.session.get(FamilyBinding, binding_id).status)


# --- the texts and the five-step flow (seed 000) -----------------------------------------------------


def test_texts_are_public_with_qa_and_digests_of_what_is_signed_seed000(gj, client):
    r = client.get("/api/family/texts")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"version", "agreement", "qa", "commitment", "agreement_sha256", "commitment_sha256"}
    assert body["version"] == family_agreement.texts(gj.profile).version and body["agreement"] and body["commitment"]
    assert body["qa"] and all(set(item) == {"q", "a"} and item["q"] and item["a"] for item in body["qa"])
    assert body["commitment_sha256"] == hashlib.sha256(body["commitment"].encode()).hexdigest()
    assert body["agreement_sha256"] == family_agreement.texts(gj.profile).agreement_sha256


def test_five_step_flow_bind_allocate_history_unbind_returns_the_family_balance_seed000(gj, client, me, child):
    texts = client.get("/api/family/texts", headers=me).json()
    first = _members(client, me)
    assert first["agreement_accepted"] is False and first["bindings"] == [] and first["can_authorize"]["ok"] is True
    assert first["can_authorize"]["rule"]["effective_from"] == "2026-02-01"  # Gansu commitment binding [000]
    assert first["funding_model"] == "allocation"  # Gansu: 共济账户划拨

    accepted = client.post("/api/family/agreement", json={"version": texts["version"]}, headers=me)
    assert accepted.status_code == 200 and accepted.json()["accepted"] is True
    assert accepted.json()["version"] == texts["version"]
    again = client.post("/api/family/agreement", json={"version": texts["version"]}, headers=me)
    assert again.status_code == 200  # confirming twice is harmless

    r = client.post("/api/family/bindings", json=_bind_body(gj, child, "child"), headers=me)
    assert r.status_code == 201, r.text
    view = r.json()
    binding_id = view["binding_id"]
    assert view["status"] == "active" and view["relation"] == "child" and view["relation_name"] == "子女"
    assert view["relative"]["name"] == "王**" and "*" in view["relative"]["cert_no"]
    assert S.person_cert(gj, child) not in r.text  # the relative's number is masked in the answer
    assert view["family_balance_fen"] == 0 and view["channel"] == "api"

    listed = _members(client, me)
    assert listed["agreement_accepted"] is True
    assert [(b["binding_id"], b["status_name"]) for b in listed["bindings"]] == [(binding_id, "已绑定")]

    alloc = _allocate(client, me, binding_id, 10_000, key="alloc-100-yuan")  # 100.00 yuan
    assert alloc.status_code == 201, alloc.text
    replay = _allocate(client, me, binding_id, 10_000, key="alloc-100-yuan")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == alloc.json()
    assert _members(client, me)["bindings"][0]["family_balance_fen"] == 10_000
    account = _account(client, me)
    assert (account["current_fen"], account["past_years_fen"], account["total_fen"]) == (90_000, 0, 90_000)

    hist = client.get("/api/family/history", headers=me)
    assert hist.status_code == 200, hist.text
    items = hist.json()["items"]
    moved = {(i["kind"], i["account_name"], i["amount_fen"]) for i in items}
    assert moved == {("family.allocate", "当年账户", -10_000), ("family.allocate", "共济账户", 10_000)}
    assert {i["kind_name"] for i in items} == {"共济账户划拨"}
    assert {i["txn_id"] for i in items} == {alloc.json()["txn_id"]}
    page = client.get("/api/family/history", params={"limit": 1}, headers=me).json()["items"]
    rest = client.get("/api/family/history", params={"before_id": page[0]["posting_id"]}, headers=me).json()
    assert len(page) == 1 and [i["posting_id"] for i in page + rest["items"]] == [i["posting_id"] for i in items]

    ended = client.post(f"/api/family/bindings/{binding_id}/unbind", json={"reason": "不再需要"}, headers=me)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended" and ended.json()["family_balance_fen"] == 0
    after = _members(client, me)["bindings"]
    assert [(b["binding_id"], b["status_name"], b["end_reason"]) for b in after] == [(binding_id, "已解除", "不再需要")]
    # 原渠道返还: the family account's 100.00 went back to the authorizer (past-years account)
    account = _account(client, me)
    assert (account["current_fen"], account["past_years_fen"], account["total_fen"]) == (90_000, 10_000, 100_000)
    returned = client.get("/api/family/history", params={"limit": 2}, headers=me).json()["items"]
    assert {(i["kind"], i["amount_fen"]) for i in returned} == {("family.return", 10_000), ("family.return", -10_000)}

    _refused(client.post(f"/api/family/bindings/{binding_id}/unbind", headers=me), 409, "E_STATE")
    _refused(_allocate(client, me, binding_id, 100, key="after-unbind"), 409, "E_STATE")


def test_change_of_relation_is_unbind_then_bind_seed003(gj, client, me, office):
    grandma = S.resident(gj, office, region=GANSU, name="张桂兰", birth=date(1950, 1, 1))
    _accept(client, me)
    first = client.post("/api/family/bindings", json=_bind_body(gj, grandma, "paternal_grandparent"), headers=me)
    assert first.status_code == 201, first.text
    _refused(
        client.post("/api/family/bindings", json=_bind_body(gj, grandma, "parent"), headers=me),
        409,
        "E_FAMILY_DUPLICATE",
    )
    assert client.post(f"/api/family/bindings/{first.json()['binding_id']}/unbind", headers=me).status_code == 200
    second = client.post("/api/family/bindings", json=_bind_body(gj, grandma, "parent"), headers=me)
    assert second.status_code == 201 and second.json()["relation_name"] == "父母"
    statuses = [(b["relation"], b["status"]) for b in _members(client, me)["bindings"]]
    assert statuses == [("parent", "active"), ("paternal_grandparent", "ended")]


# --- bad binding requests: a clear 4xx, nothing written ---------------------------------------------


def _bad_bind_body(gj, case: str, authorizer: int, child: int) -> dict:
    good = _bind_body(gj, child, "child")
    cert = good["relative_cert_no"]
    commitment = good["commitment"]
    return {
        "unknown_relation": good | {"relation": "cousin"},
        "self": _bind_body(gj, authorizer, "sibling"),
        "id_checksum": good | {"relative_cert_no": cert[:17] + ("0" if cert[17] != "0" else "1")},
        "id_format": good | {"relative_cert_no": "62070220120303"},
        "unsigned_commitment": good | {"commitment": commitment | {"signed": False}},
        "commitment_signed_by_another_name": good | {"commitment": commitment | {"signature": "王小明"}},
        "old_commitment_version": good | {"commitment": commitment | {"version": "2020.1"}},
        "signed_as_a_string": good | {"commitment": commitment | {"signed": "true"}},
        "unknown_field": good | {"note": "x"},
        "oversize_name": good | {"relative_name": "王" * 51},
    }[case]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unknown_relation", 422, "E_UNKNOWN_CODE"),
        ("self", 422, "E_FAMILY_SELF"),
        ("id_checksum", 422, "E_ID_CHECKSUM"),
        ("id_format", 422, "E_ID_FORMAT"),
        ("unsigned_commitment", 422, "E_FAMILY_COMMITMENT"),  # seed 000 第三步: sign the commitment
        ("commitment_signed_by_another_name", 422, "E_FAMILY_COMMITMENT"),
        ("old_commitment_version", 422, "E_FAMILY_COMMITMENT"),
        ("signed_as_a_string", 422, "E_VALIDATION"),
        ("unknown_field", 422, "E_VALIDATION"),
        ("oversize_name", 422, "E_VALIDATION"),
    ],
)
def test_bad_binding_request_gets_its_code_and_writes_nothing_seed000(
    gj, client, me, authorizer, child, case, status, code
):
    _accept(client, me)
    before = _snapshot(gj, client, me)
    r = client.post("/api/family/bindings", json=_bad_bind_body(gj, case, authorizer, child), headers=me)
    _refused(r, status, code)
    assert _snapshot(gj, client, me) == before


def test_agreement_must_be_confirmed_before_binding_seed000(gj, client, me, child):
    before = _snapshot(gj, client, me)
    _refused(
        client.post("/api/family/bindings", json=_bind_body(gj, child, "child"), headers=me), 422, "E_FAMILY_AGREEMENT"
    )
    stale = client.post("/api/family/agreement", json={"version": "2020.1"}, headers=me)
    assert _refused(stale, 422, "E_VALIDATION")["detail"]["field"] == "version"
    assert _snapshot(gj, client, me) == before and _members(client, me)["agreement_accepted"] is False
    _accept(client, me)
    assert client.post("/api/family/bindings", json=_bind_body(gj, child, "child"), headers=me).status_code == 201


def test_unknown_id_number_and_name_mismatch_get_identical_answers_without_the_registered_name_seed000(
    gj, client, me, child
):
    _accept(client, me)
    before = _snapshot(gj, client, me)
    mismatch = client.post(
        "/api/family/bindings", json=_bind_body(gj, child, "child", relative_name="王小红"), headers=me
    )
    unknown_cert = S.new_id(GANSU, date(2011, 1, 1))
    unknown = client.post(
        "/api/family/bindings", json=_bind_body(gj, child, "child", relative_cert_no=unknown_cert), headers=me
    )
    _refused(mismatch, 422, "E_FAMILY_IDENTITY")
    _refused(unknown, 422, "E_FAMILY_IDENTITY")
    assert mismatch.json() == unknown.json()  # nothing tells whether the number is registered
    assert "小明" not in mismatch.text and "小明" not in unknown.text
    assert _snapshot(gj, client, me) == before


def test_failed_name_matches_are_rate_limited_then_429_seed000(gj, client, me, child, office):
    _accept(client, me)
    before = _snapshot(gj, client, me)
    limit = gj.profile.family.max_failed_name_matches
    wrong = _bind_body(gj, child, "child", relative_name="王大明")
    for _ in range(limit):
        _refused(client.post("/api/family/bindings", json=wrong, headers=me), 422, "E_FAMILY_IDENTITY")
    # now even the right name is refused until the window has passed
    right = _bind_body(gj, child, "child")
    body = _refused(client.post("/api/family/bindings", json=right, headers=me), 429, "E_FAMILY_TOO_MANY_ATTEMPTS")
    assert body["detail"]["window_minutes"] == gj.profile.family.name_match_window_minutes
    assert _snapshot(gj, client, me) == before
    # per authorizer: someone else binds meanwhile
    _citizen_employee(gj, office, "other_emp", income=500)
    other = login(client, "other_emp")
    _accept(client, other)
    sibling = S.resident(gj, office, region=GANSU, name="刘敏", birth=date(1979, 1, 1))
    ok = client.post("/api/family/bindings", json=_bind_body(gj, sibling, "sibling", signer="刘强"), headers=other)
    assert ok.status_code == 201, ok.text
    gj.clock.advance(timedelta(minutes=gj.profile.family.name_match_window_minutes + 1))
    later = client.post("/api/family/bindings", json=right, headers=login(client, "wjg"))
    assert later.status_code == 201, later.text


# --- who may authorize (seed 000 谁能办) -------------------------------------------------------------


def _suspended_employee(gj, client, office) -> int:
    pid = _citizen_employee(gj, office, "suspended_emp", income=50_000, name=AUTHORIZER_NAME)
    staff = login(client, "staff_gs")
    eid = client.get(f"/api/persons/{pid}", headers=staff).json()["enrollments"][0]["enrollment_id"]
    r = client.post(
        f"/api/enrollments/{eid}/suspend",
        json={"effective_date": "2026-11-01", "reason": "单位暂停缴费"},
        headers=staff,
    )
    assert r.status_code == 200 and r.json()["status"] == "suspended", r.text
    return pid


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("resident_insured", "E_FAMILY_AUTHORIZER_NOT_EMPLOYEE"),
        ("suspended", "E_FAMILY_AUTHORIZER_SUSPENDED"),
        ("zero_balance", "E_FAMILY_AUTHORIZER_NO_BALANCE"),
    ],
)
def test_authorizer_must_be_a_normal_employee_with_a_balance_seed000(gj, client, office, child, who, code):
    if who == "resident_insured":
        pid = S.resident(gj, office, region=GANSU, name=AUTHORIZER_NAME, birth=date(1980, 5, 1))
        S.citizen(gj, pid, username="resident_a")
        username = "resident_a"
    elif who == "suspended":
        _suspended_employee(gj, client, office)
        username = "suspended_emp"
    else:
        _citizen_employee(gj, office, "broke_emp", income=0, name=AUTHORIZER_NAME)
        username = "broke_emp"
    headers = login(client, username)
    _accept(client, headers)
    assert _members(client, headers)["can_authorize"]["code"] == code  # the page can say so up front
    before = _snapshot(gj, client, headers)
    _refused(client.post("/api/family/bindings", json=_bind_body(gj, child, "child"), headers=headers), 422, code)
    assert _snapshot(gj, client, headers) == before


# --- the relative (seeds 000, 001) -------------------------------------------------------------------


def test_relative_insured_outside_the_province_is_refused_seed001(gj, client, me):
    zhejiang_staff = S.staff(gj, ["330000"], username="staff_zj")
    hz_child = S.resident(gj, zhejiang_staff, region=ZHEJIANG, name="王小杭", birth=date(2012, 3, 3))
    _accept(client, me)
    before = _snapshot(gj, client, me)
    r = client.post("/api/family/bindings", json=_bind_body(gj, hz_child, "child"), headers=me)
    _refused(r, 422, "E_FAMILY_RELATIVE_OUT_OF_PROVINCE")
    assert _snapshot(gj, client, me) == before


def test_relative_not_insured_is_refused_seed000(gj, client, me, office):
    staff = login(client, "staff_gs")
    cert = S.new_id(GANSU, date(2013, 4, 4))
    registered = client.post("/api/persons", json={"cert_no": cert, "name": "王小华"}, headers=staff)
    assert registered.status_code == 201, registered.text  # registered, never enrolled
    _accept(client, me)
    before = _snapshot(gj, client, me)
    body = _bind_body(gj, registered.json()["person_id"], "child")
    _refused(client.post("/api/family/bindings", json=body, headers=me), 422, "E_FAMILY_RELATIVE_NOT_INSURED")
    assert _snapshot(gj, client, me) == before


def test_binding_the_same_relative_twice_is_a_409(gj, client, me, child, bound):
    """One active binding per pair; a change of relation is unbind then bind (seed 003 附件一(二))."""
    before = _snapshot(gj, client, me)
    r = client.post("/api/family/bindings", json=_bind_body(gj, child, "child"), headers=me)
    _refused(r, 409, "E_FAMILY_DUPLICATE")
    assert _snapshot(gj, client, me) == before
    assert [b["binding_id"] for b in _members(client, me)["bindings"]] == [bound]


def test_a_citizen_cannot_unbind_or_fund_someone_elses_binding_it_stays_active(gj, client, me, bound, office):
    """Only the authorizer manages a binding (seed 000: 共济人本人办理); to others it does not exist (SPEC §9)."""
    _citizen_employee(gj, office, "stranger", income=10_000)
    stranger = login(client, "stranger")
    before = _snapshot(gj, client, me)
    _refused(client.post(f"/api/family/bindings/{bound}/unbind", headers=stranger), 404, "E_NOT_FOUND")
    _refused(_allocate(client, stranger, bound, 100, key="not-mine"), 404, "E_NOT_FOUND")
    _refused(client.post("/api/family/bindings/999999/unbind", headers=stranger), 404, "E_NOT_FOUND")
    assert _binding_status(gj, bound) == "active"
    assert _snapshot(gj, client, me) == before


# --- 共济账户划拨: amounts (seed 000 第四步) ------------------------------------------------------------


def test_allocation_above_the_balance_is_refused_and_writes_nothing_seed000(gj, client, me, bound):
    before = _snapshot(gj, client, me)
    body = _refused(_allocate(client, me, bound, 100_001, key="too-much"), 422, "E_INSUFFICIENT_BALANCE")
    assert body["detail"]["available_fen"] == 100_000
    assert _snapshot(gj, client, me) == before
    assert _allocate(client, me, bound, 100_000, key="all-of-it").status_code == 201  # exactly all is fine


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (1.5, "E_VALIDATION"),  # not a whole number of fen
        ("100", "E_VALIDATION"),  # a string
        (100.0, "E_VALIDATION"),  # a float, even a round one
        (True, "E_VALIDATION"),
        (None, "E_VALIDATION"),
        (0, "E_AMOUNT"),
        (-100, "E_AMOUNT"),
        (10_000_000_001, "E_AMOUNT"),  # above the limit
    ],
)
def test_allocation_must_be_a_positive_whole_number_of_fen(gj, client, me, bound, amount, code):
    """共济账户划拨 (seed 000 第四步) in whole fen: a float/string is a schema error, 0 or less is E_AMOUNT."""
    before = _snapshot(gj, client, me)
    body = _refused(_allocate(client, me, bound, amount, key=f"bad-{amount!r}"), 422, code)
    if code == "E_VALIDATION":
        assert [f["field"] for f in body["detail"]["fields"]] == ["amount_fen"]
    assert _snapshot(gj, client, me) == before


def test_allocation_without_idempotency_key_is_refused(gj, client, me, bound):
    """A money write (共济账户划拨, seed 000 第四步) needs an Idempotency-Key: a retry never moves money twice."""
    before = _snapshot(gj, client, me)
    body = _refused(_allocate(client, me, bound, 1_000, key=None), 422, "E_VALIDATION")
    assert body["detail"]["field"] == "Idempotency-Key"
    assert _snapshot(gj, client, me) == before


# --- designated institutions: own account first, then family funds, then cash -----------------------


def test_vaccines_outside_the_programme_are_not_paid_by_family_funds_in_gansu_seed000(
    gj, client, me, bound, child, hospital
):
    assert _allocate(client, me, bound, 5_000).status_code == 201
    before = _snapshot(gj, client, me)
    r = _pay(gj, hospital, S.person_cert(gj, child), 2_000, use="vaccines", key="vac-1")
    assert _refused(r, 422, "E_FAMILY_USE")["detail"]["use"] == "vaccines"
    _refused(_pay(gj, hospital, S.person_cert(gj, child), 2_000, use="massage", key="vac-2"), 422, "E_UNKNOWN_CODE")
    assert _snapshot(gj, client, me) == before


def test_payment_splits_own_account_then_family_then_cash_and_replays_once_seed000(gj, client, me, office, hospital):
    spouse = S.employee(gj, office, region=GANSU, name="李娜", birth=date(1982, 7, 7), income_fen=3_000)
    S.citizen(gj, spouse, username="lina")
    _accept(client, me)
    bound = client.post("/api/family/bindings", json=_bind_body(gj, spouse, "spouse"), headers=me)
    assert bound.status_code == 201, bound.text
    binding_id = bound.json()["binding_id"]
    assert _allocate(client, me, binding_id, 5_000).status_code == 201

    cert = S.person_cert(gj, spouse)
    paid = _pay(gj, hospital, cert, 10_000, key="visit-1")
    assert paid.status_code == 201, paid.text
    split = paid.json()
    assert (split["own_fen"], split["family_fen"], split["cash_fen"]) == (3_000, 5_000, 2_000)
    assert [d["amount_fen"] for d in split["own"]] == [3_000]
    assert [(d["binding_id"], d["amount_fen"]) for d in split["family"]] == [(binding_id, 5_000)]
    assert cert not in paid.text

    replay = _pay(gj, hospital, cert, 10_000, key="visit-1")
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == split
    changed = _pay(gj, hospital, cert, 9_000, key="visit-1")
    _refused(changed, 409, "E_IDEMPOTENCY_MISMATCH")

    assert _account(client, login(client, "lina"))["total_fen"] == 0
    assert _members(client, me)["bindings"][0]["family_balance_fen"] == 0
    assert _members(client, me)["bindings"][0]["paid_fen"] == 5_000
    assert _counts(gj)["FamilyPayment"] == 1  # paid once


def test_payments_are_for_institutions_only(gj, client, me, child):
    """Family funds are spent at designated institutions (seed 000 就医购药), not by citizens or staff."""
    r = _pay(gj, {"username": "wjg"}, S.person_cert(gj, child), 100, key="citizen-pay")
    _refused(r, 403, "E_FORBIDDEN")
    _refused(_pay(gj, {"username": "staff_gs"}, S.person_cert(gj, child), 100, key="s"), 403, "E_FORBIDDEN")


def test_the_direct_institution_charge_route_is_gone_issue13_2(gj, client, child, hospital):
    """Issue 13 §2: ``POST /api/family/payments`` let an institution's password login debit anyone
    by ID number; it is removed — whoever calls it, nothing moves."""
    before = _counts(gj)
    r = client.post(
        "/api/family/payments",
        json={"cert_no": S.person_cert(gj, child), "amount_fen": 100, "use": "outpatient"},
        headers=login(client, "hosp_zy") | {"Idempotency-Key": "k1"},
    )
    assert r.status_code in (404, 405), r.text
    assert _counts(gj) == before


# --- staff: fraud (虚构家庭成员关系, seed 003 四(四)) ------------------------------------------------------


def test_staff_revoke_opens_a_receivable_and_money_returns_only_as_collected_seed003_4_4(
    gj, client, me, authorizer, child, bound, hospital
):
    """seed 003 四(四): 停止待遇 at once, 追回医保基金 as a receivable collected step by step, 纳入信用管理."""
    assert _allocate(client, me, bound, 20_000).status_code == 201
    paid = _pay(gj, hospital, S.person_cert(gj, child), 5_000, key="visit-9")
    assert paid.json()["family_fen"] == 5_000 and paid.json()["own_fen"] == 0
    staff = login(client, "staff_gs")

    listed = client.get(f"/api/family/persons/{authorizer}/bindings", headers=staff)
    assert listed.status_code == 200, listed.text
    assert [(b["binding_id"], b["paid_fen"], b["case"]) for b in listed.json()["bindings"]] == [(bound, 5_000, None)]
    assert listed.json()["bindings"][0]["authorizer"]["name"] == "王**"

    plan = client.get(f"/api/family/bindings/{bound}/revoke-plan", headers=staff)
    assert plan.status_code == 200, plan.text
    assert plan.json()["owed_fen"] == 5_000 and [r["returned_fen"] for r in plan.json()["revoked"]] == [15_000]
    body = {"reason": "虚构家庭成员关系", "liable": "both"}
    revoked = client.post(f"/api/family/bindings/{bound}/revoke", json=body, headers=staff)
    assert revoked.status_code == 201, revoked.text
    case = revoked.json()
    assert (case["status"], case["amount_fen"], case["outstanding_fen"]) == ("open", 5_000, 5_000)
    assert _account(client, me)["total_fen"] == 95_000  # the unspent 150.00 went back; the 50.00 is owed

    listed = client.get("/api/family/recoveries", headers=staff).json()
    assert [(c["case_id"], c["outstanding_fen"], c["age_days"]) for c in listed["cases"]] == [
        (case["case_id"], 5_000, 0)
    ]
    assert [(r["region_code"], r["open_cases"], r["outstanding_fen"]) for r in listed["regions"]] == [
        ("620702", 1, 5_000)
    ]
    url = f"/api/family/recoveries/{case['case_id']}/collections"
    first = client.post(url, json={"amount_fen": 2_000, "note": "收据001"}, headers=staff | {"Idempotency-Key": "r1"})
    assert first.status_code == 201 and first.json()["status"] == "part_collected", first.text
    again = client.post(url, json={"amount_fen": 2_000, "note": "收据001"}, headers=staff | {"Idempotency-Key": "r1"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert _account(client, me)["total_fen"] == 97_000
    _refused(
        client.post(url, json={"amount_fen": 4_000}, headers=staff | {"Idempotency-Key": "r2"}),
        422,
        "E_FAMILY_RECOVERY_EXCEEDS",
    )
    done = client.post(url, json={"amount_fen": 3_000}, headers=staff | {"Idempotency-Key": "r3"})
    assert done.status_code == 201 and done.json()["status"] == "collected", done.text
    assert _account(client, me)["total_fen"] == 100_000

    after = client.get(f"/api/family/persons/{authorizer}/bindings", headers=staff).json()
    assert after["bindings"][0]["case"]["status"] == "collected"
    assert [(c["binding_id"], c["case_id"]) for c in after["credit_records"]] == [(bound, case["case_id"])]
    relative = client.get(f"/api/family/persons/{child}/bindings", headers=staff).json()
    assert [c["case_id"] for c in relative["credit_records"]] == [case["case_id"]]  # both parties
    assert _members(client, me)["bindings"][0]["status_name"] == "已终止（违规）"
    _refused(
        client.post("/api/family/bindings", json=_bind_body(gj, child, "child"), headers=me), 409, "E_FAMILY_REVOKED"
    )

    _auditor(gj)
    check = client.get("/api/ledger/check", headers=login(client, "auditor_x"))
    assert check.status_code == 200 and check.json()["ok"] is True, check.text


def test_write_off_by_the_clerk_who_asked_is_refused_a_second_clerk_approves_seed003_4_4(
    gj, client, me, bound, hospital, child
):
    assert _allocate(client, me, bound, 20_000).status_code == 201
    assert _pay(gj, hospital, S.person_cert(gj, child), 5_000, key="visit-w").status_code == 201
    S.staff(gj, ["620700"], username="staff_gs_b")
    staff = login(client, "staff_gs")
    case = client.post(
        f"/api/family/bindings/{bound}/revoke", json={"reason": "虚构家庭成员关系"}, headers=staff
    ).json()
    url = f"/api/family/recoveries/{case['case_id']}/write-off"
    _refused(client.post(f"{url}/approve", headers=staff), 409, "E_STATE")  # nothing asked yet
    asked = client.post(url, json={"reason": "当事人下落不明，无法追回"}, headers=staff)
    assert asked.status_code == 200 and asked.json()["write_off"]["reason"], asked.text
    _refused(client.post(f"{url}/approve", headers=staff), 403, "E_FOUR_EYES")
    before = _account(client, me)
    approved = client.post(f"{url}/approve", headers=login(client, "staff_gs_b"))
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["written_off_fen"]) == ("written_off", 5_000)
    assert _account(client, login(client, "wjg")) == before  # a write-off moves no money


def test_staff_of_another_region_is_refused_and_nothing_changes_seed003(gj, client, me, authorizer, child, bound):
    """Fraud handling and window service belong to the 经办机构 where the parties are insured (seed 003)."""
    S.staff(gj, ["620100"], username="staff_lz")  # 兰州市 only
    lanzhou = login(client, "staff_lz")
    before = _snapshot(gj, client, me)
    reason = {"reason": "虚构家庭成员关系"}
    for r in (
        client.get(f"/api/family/persons/{authorizer}/bindings", headers=lanzhou),
        client.post(f"/api/family/bindings/{bound}/revoke", json=reason, headers=lanzhou),
        client.get(f"/api/family/bindings/{bound}/revoke-plan", headers=lanzhou),
        client.post(f"/api/family/bindings/{bound}/unbind", headers=lanzhou),
        client.post(f"/api/family/persons/{authorizer}/bindings", json=_bind_body(gj, child, "child"), headers=lanzhou),
    ):
        _refused(r, 403, "E_OUT_OF_REGION")
    assert _snapshot(gj, client, me) == before and _binding_status(gj, bound) == "active"


def test_citizen_calling_staff_endpoints_is_forbidden_seed003(gj, client, me, authorizer, child, bound):
    """Stopping, recovering and window service are the agency's (seed 003 四(四)); citizens get 403."""
    before = _snapshot(gj, client, me)
    reason = {"reason": "虚构家庭成员关系"}
    version = {"version": family_agreement.texts(gj.profile).version}
    for r in (
        client.get(f"/api/family/persons/{authorizer}/bindings", headers=me),
        client.post(f"/api/family/bindings/{bound}/revoke", json=reason, headers=me),
        client.get(f"/api/family/bindings/{bound}/revoke-plan", headers=me),
        client.get("/api/family/recoveries", headers=me),
        client.post(f"/api/family/persons/{authorizer}/agreement", json=version, headers=me),
        client.post(f"/api/family/persons/{authorizer}/bindings", json=_bind_body(gj, child, "child"), headers=me),
    ):
        _refused(r, 403, "E_FORBIDDEN")
    assert _snapshot(gj, client, me) == before and _binding_status(gj, bound) == "active"


def test_staff_and_institutions_have_no_citizen_family_endpoints(gj, client, office, child, hospital):
    """The citizen endpoints act on the logged-in citizen's own person only (seed 000: 本人通过APP办理)."""
    for headers in (login(client, "staff_gs"), login(client, "hosp_zy")):
        _refused(client.get("/api/family/members", headers=headers), 403, "E_FORBIDDEN")
        _refused(client.get("/api/family/history", headers=headers), 403, "E_FORBIDDEN")
        body = _bind_body(gj, child, "child")
        _refused(client.post("/api/family/bindings", json=body, headers=headers), 403, "E_FORBIDDEN")
    _refused(client.get("/api/family/members"), 401, "E_AUTH_REQUIRED")


# --- staff window service (seed 003: 线下窗口办理) -----------------------------------------------------


def test_staff_helps_at_the_window_agreement_and_binding_for_the_person_seed003(gj, client, me, authorizer, child):
    staff = login(client, "staff_gs")
    version = family_agreement.texts(gj.profile).version
    body = _bind_body(gj, child, "child")
    _refused(
        client.post(f"/api/family/persons/{authorizer}/bindings", json=body, headers=staff), 422, "E_FAMILY_AGREEMENT"
    )
    accepted = client.post(f"/api/family/persons/{authorizer}/agreement", json={"version": version}, headers=staff)
    assert accepted.status_code == 200 and accepted.json() == {
        "accepted": True,
        "version": version,
        "person_id": authorizer,
    }
    r = client.post(f"/api/family/persons/{authorizer}/bindings", json=body, headers=staff)
    assert r.status_code == 201, r.text
    # the citizen sees the binding made at the window and can fund it
    mine = _members(client, me)
    assert mine["agreement_accepted"] is True
    assert [b["binding_id"] for b in mine["bindings"]] == [r.json()["binding_id"]]
    assert _allocate(client, me, r.json()["binding_id"], 1_000).status_code == 201
