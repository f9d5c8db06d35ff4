"""The gateway of the 两定 interface and the institutions' keys (issue 13 §2, §3), on SQLite and
PostgreSQL: each refusal has its code and Chinese message, and nothing behind the gateway runs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gongji.adapters.db.models import ApiKey, AuditLog
from gongji.adapters.nhsa import gateway_auth
from gongji.adapters.nhsa.client import CALL_SERVICE, PATHS, Key, encode
from gongji.domain.errors import OutOfRegion
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.auth import Role
from gongji.services.institutions import keys, registry
from gongji.services.registry.context import Ctx
from tests import nhsa_support as N
from tests import support as S


def person_info(gj, patient: int) -> dict[str, Any]:
    cert = S.person_cert(gj, patient)
    return {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": cert, "psn_cert_type": "01", "certno": cert}}


def refused(r, status: int, code: str, zh: str) -> None:
    assert r.status_code == status, r.text
    body = r.json()
    assert (body["code"], body["error_code"]) == (status, code) and zh in body["message"], body


def clerk(gj, regions: list[str]) -> Ctx:
    principal = auth.Principal(
        user_id=0, username="clerk", role=Role.STAFF, display_name="经办", regions=tuple(regions)
    )
    return Ctx(principal=principal, channel=Channel("test"), clock=gj.clock)


def test_a_replayed_request_is_refused_even_with_the_same_body(gj, hospital, patient):
    body = hospital.envelope("1101", person_info(gj, patient))
    content = encode(body)
    headers = hospital.headers("1101", CALL_SERVICE, content)
    assert hospital.post(body, headers=headers).json()["infcode"] == 0
    before = N.snapshot(gj)
    refused(hospital.post(body, headers=headers), 401, "E_GATEWAY_NONCE", "重放")
    assert N.snapshot(gj) == before


def test_the_nonce_and_signature_cannot_carry_another_body_or_path(gj, client, hospital, patient):
    """Issue 13 §2: before, the signature covered neither body nor msgid and a nonce could be reused."""
    body = hospital.envelope("1101", person_info(gj, patient))
    headers = hospital.headers("1101", CALL_SERVICE, encode(body))
    other = hospital.envelope("1101", person_info(gj, patient))  # another msgid
    before = N.snapshot(gj)
    refused(hospital.post(other, headers=headers), 401, "E_GATEWAY_SIGNATURE", "签名不一致")
    r = client.post(PATHS["1101"], content=encode(body), headers=headers | {"Content-Type": "application/json"})
    refused(r, 401, "E_GATEWAY_SIGNATURE", "签名不一致")
    assert N.snapshot(gj) == before
    assert hospital.post(body, headers=headers).json()["infcode"] == 0  # the nonce was not spent by them


def test_api_name_must_equal_infno(gj, hospital, patient):
    body = hospital.envelope("1101", person_info(gj, patient))
    content = encode(body)
    headers = gateway_auth.sign(
        key_id=hospital.key.key_id,
        secret=hospital.key.secret,
        api_name="5203",  # a harmless name in front of a 1101
        method="POST",
        path=CALL_SERVICE,
        body=content,
        now=gj.clock.now(),
    )
    refused(hospital.post(body, headers=headers), 401, "E_GATEWAY_API_NAME", "_api_name")


def test_a_timestamp_six_minutes_old_is_refused(gj, hospital, patient):
    body = hospital.envelope("1101", person_info(gj, patient))
    content = encode(body)
    stale = gateway_auth.sign(
        key_id=hospital.key.key_id,
        secret=hospital.key.secret,
        api_name="1101",
        method="POST",
        path=CALL_SERVICE,
        body=content,
        now=gj.clock.now() - timedelta(minutes=6),
    )
    refused(hospital.post(body, headers=stale), 401, "E_GATEWAY_TIMESTAMP", "超时")


def test_a_suspended_institution_is_refused_until_resumed(gj, hospital, patient):
    ctx = clerk(gj, ["620700"])

    def status(to: str) -> None:
        def go(uow: Any) -> None:
            registry.set_status(uow, ctx, code=hospital.fixmedins_code, status=to, reason="协议检查")
            uow.commit()

        gj.run(go)

    status("suspended")
    r = hospital.post(hospital.envelope("1101", person_info(gj, patient)))
    refused(r, 403, "E_GATEWAY_SUSPENDED", "暂停")
    status("active")
    assert hospital.call("1101", person_info(gj, patient))["infcode"] == 0
    status("ended")
    refused(hospital.post(hospital.envelope("1101", person_info(gj, patient))), 403, "E_GATEWAY_SUSPENDED", "终止")


def test_a_revoked_key_is_refused_and_a_rotated_one_replaced(gj, hospital, patient):
    ctx = clerk(gj, ["620702"])

    def rotate(uow: Any) -> Key:
        key, secret = keys.rotate(uow, ctx, key_id=hospital.key.key_id)
        uow.commit()
        return Key(key.key_id, secret)

    old = hospital.key
    hospital.key = gj.run(rotate)
    assert hospital.call("1101", person_info(gj, patient))["infcode"] == 0
    new = hospital.key
    hospital.key = old
    refused(hospital.post(hospital.envelope("1101", person_info(gj, patient))), 401, "E_GATEWAY_KEY_REVOKED", "吊销")

    def revoke(uow: Any) -> None:
        keys.revoke(uow, ctx, key_id=new.key_id, reason="密钥泄露")
        uow.commit()

    gj.run(revoke)
    hospital.key = new
    refused(hospital.post(hospital.envelope("1101", person_info(gj, patient))), 401, "E_GATEWAY_KEY_REVOKED", "吊销")
    actions = gj.run(lambda uow: list(uow.session.scalars(select(AuditLog.action).where(AuditLog.entity == "api_key"))))
    assert actions.count("apikey.rotate") == 1 and actions.count("apikey.revoke") == 1


def test_a_key_is_shown_once_and_stored_only_as_a_hash(gj, hospital):
    secret = hospital.key.secret
    rows = gj.run(
        lambda uow: [(k.salt, k.secret_sha256, k.secret_hint, k.key_id) for k in uow.session.scalars(select(ApiKey))]
    )
    audit = gj.run(lambda uow: [a.detail_json for a in uow.session.scalars(select(AuditLog))])
    assert rows and all(secret not in "|".join(row) for row in rows)
    assert all(secret not in detail for detail in audit)
    listed = gj.run(lambda uow: keys.listing(uow, clerk(gj, ["620000"]), fixmedins_code=hospital.fixmedins_code))
    assert [k["key_id"] for k in listed] == [hospital.key.key_id]
    assert secret not in str(listed) and listed[0]["secret"].startswith(secret[:8]) and "••" in listed[0]["secret"]


def test_a_clerk_of_another_region_cannot_register_suspend_or_issue_keys(gj, hospital):
    lanzhou = clerk(gj, ["620100"])

    def attempt(action: Any) -> None:
        def go(uow: Any) -> None:
            action(uow)
            uow.commit()

        with pytest.raises(OutOfRegion):
            gj.run(go)

    attempt(lambda uow: keys.issue(uow, lanzhou, fixmedins_code=hospital.fixmedins_code))
    attempt(lambda uow: keys.revoke(uow, lanzhou, key_id=hospital.key.key_id, reason="无权"))
    attempt(
        lambda uow: registry.set_status(uow, lanzhou, code=hospital.fixmedins_code, status="suspended", reason="无权")
    )
    attempt(
        lambda uow: registry.register(
            uow,
            lanzhou,
            code="H62070200077",
            name="甘州区某医院",
            kind="hospital",
            level=1,
            region_code="620702",
            agreement_start=date(2026, 1, 1),
        )
    )
    listed = gj.run(lambda uow: registry.listing(uow, lanzhou))
    assert hospital.fixmedins_code not in [i["fixmedins_code"] for i in listed]
    assert gj.run(lambda uow: keys.listing(uow, clerk(gj, ["620000"]), fixmedins_code=hospital.fixmedins_code))


def test_the_staff_api_registers_issues_once_lists_masked_and_keeps_clerks_to_their_regions(gj, client):
    from tests.e2e.conftest import login

    S.staff(gj, ["620700"], username="staff_zy")
    S.staff(gj, ["620100"], username="staff_lz")
    zy, lz = login(client, "staff_zy"), login(client, "staff_lz")
    body = {"fixmedins_code": "H62070200051", "name": "甘州区接口医院", "kind": "hospital", "level": 2}
    body |= {"region_code": "620702", "agreement_start": "2026-01-01"}
    r = client.post("/api/institutions", json=body, headers=lz)
    assert r.status_code == 403 and r.json()["code"] == "E_OUT_OF_REGION", r.text
    r = client.post("/api/institutions", json=body, headers=zy)
    assert r.status_code == 201 and r.json()["status"] == "active", r.text
    issued = client.post("/api/institutions/H62070200051/keys", headers=zy)
    assert issued.status_code == 201 and issued.json()["secret"].startswith("gjs_"), issued.text
    secret = issued.json()["secret"]
    listed = client.get("/api/institutions/H62070200051/keys", headers=zy)
    assert listed.status_code == 200 and secret not in listed.text and listed.json()["count"] == 1
    assert client.get("/api/institutions/H62070200051/keys", headers=lz).status_code == 403
    assert client.get("/api/institutions", headers=lz).json()["count"] == 0
    key_id = issued.json()["key_id"]
    r = client.post(f"/api/keys/{key_id}/revoke", json={"reason": "测试吊销"}, headers=lz)
    assert r.status_code == 403
    r = client.post(f"/api/keys/{key_id}/revoke", json={"reason": "测试吊销"}, headers=zy)
    assert r.status_code == 200 and r.json()["status"] == "revoked", r.text
    actions = gj.run(lambda uow: list(uow.session.scalars(select(AuditLog.action))))
    assert {"institution.register", "apikey.issue", "apikey.revoke"} <= set(actions)


def test_the_tax_interface_takes_a_signed_tax_key_once_and_refuses_other_keys(gj, client, hospital):
    """Issue 13 §3: tax-bureau credentials the same way — issued by province staff, signed, single-use."""

    def setup(uow: Any) -> Key:
        auth.create_user(uow, username="tax_bureau", password=S.PASSWORD, role=Role.TAX, display_name="税务")
        with pytest.raises(OutOfRegion):
            keys.issue(uow, clerk(gj, ["620700"]), tax_username="tax_bureau")  # a city clerk may not
        key, secret = keys.issue(uow, clerk(gj, ["620000"]), tax_username="tax_bureau")
        uow.commit()
        return Key(key.key_id, secret)

    tax_key = gj.run(setup)
    path = "/api/tax/refund-notifications?limit=5"

    def signed(key: Key, api_name: str = "tax") -> dict[str, str]:
        return gateway_auth.sign(
            key_id=key.key_id, secret=key.secret, api_name=api_name, method="GET", path=path, body=b"",
            now=gj.clock.now(),
        )  # fmt: skip

    headers = signed(tax_key)
    r = client.get(path, headers=headers)
    assert r.status_code == 200 and r.json()["count"] == 0, r.text
    r = client.get(path, headers=headers)
    assert r.status_code == 401 and r.json()["code"] == "E_GATEWAY_NONCE", r.text
    r = client.get("/api/tax/refund-notifications?limit=500", headers=signed(tax_key))
    assert r.status_code == 401 and r.json()["code"] == "E_GATEWAY_SIGNATURE"  # the query is signed too
    r = client.get(path, headers=signed(hospital.key))
    assert r.status_code == 401 and r.json()["code"] == "E_GATEWAY_KEY"  # an institution key is not a tax key


def test_racing_uses_of_one_nonce_admit_exactly_one(gj):
    """Issue 13 §2: the nonce table's unique constraint, not a read-then-write, decides a race."""
    import threading
    from datetime import UTC, datetime

    from gongji.domain.errors import GatewayNonceReused
    from gongji.services.institutions import gateway

    outcomes: list[str] = []
    start = threading.Barrier(6)

    def spend() -> None:
        def go(uow: Any) -> None:
            gateway.spend_nonce(
                uow, key_id="K-RACE", nonce="n" * 32, signed_at=datetime.now(UTC), now=datetime.now(UTC)
            )
            uow.commit()

        start.wait()
        try:
            gj.run(go)
            outcomes.append("admitted")
        except GatewayNonceReused:
            outcomes.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["admitted"] + ["refused"] * 5
