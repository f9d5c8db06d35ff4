"""Family mutual aid — binding (SPEC §4; seeds 000 Gansu, 001 Gansu one-thing, 003 Zhejiang).

Every refusal has its own code and leaves nothing behind; run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gongji.adapters.db.models import AuditLog, FamilyBinding, LedgerTxn
from gongji.domain.clock import SHANGHAI
from gongji.domain.errors import (
    AgreementRequired,
    AuthorizerAccountFrozen,
    AuthorizerInterrupted,
    AuthorizerNoBalance,
    AuthorizerNotEmployee,
    AuthorizerSuspended,
    BindingLimit,
    BindingRuleNotInForce,
    CommitmentInvalid,
    DuplicateBinding,
    GongjiError,
    IdChecksumMismatch,
    IdentityMismatch,
    RelationImplausible,
    RelationNotAllowed,
    RelativeHasAuthorizer,
    RelativeNotInsured,
    RelativeOutOfProvince,
    SelfBinding,
    TooManyAttempts,
    UnknownCode,
)
from gongji.domain.registry import EnrollmentAction
from gongji.services.family import agreement as family_agreement
from gongji.services.family import binding as family_binding
from gongji.services.family import views as family_views
from gongji.services.registry import accounts
from gongji.services.registry import persons as registry
from tests import support as S

GANSU = "620702"  # 甘州区
ZHEJIANG = "330106"  # 西湖区
HENAN = "411623"  # 沈丘县 (seed 004)


def _family_profile(gj, **changes):
    base = gj.profile
    return base.model_copy(update={"family": base.family.model_copy(update=changes)})


def _counts(gj) -> tuple[int, int]:
    def go(uow):
        return (
            uow.session.scalar(select(func.count()).select_from(FamilyBinding)),
            uow.session.scalar(select(func.count()).select_from(LedgerTxn)),
        )

    return gj.run(go)


@pytest.fixture
def office(gj):
    return S.staff(gj, ["620000"])


@pytest.fixture
def authorizer(gj, office):
    """An employee in 甘州区 with 1,000.00 yuan in the current-year account, and a citizen login."""
    pid = S.employee(gj, office, region=GANSU, name="王建国", birth=date(1980, 5, 1), income_fen=100_000)
    return S.citizen(gj, pid)


def _refused(gj, who, relative_id, relation, error, **overrides):
    before = _counts(gj)
    with pytest.raises(error) as info:
        S.bind(gj, who, relative_id, relation, **overrides)
    assert _counts(gj) == before, "a refusal must not write a binding or move money"
    return info.value


# --- the happy path and what it records ---------------------------------------------------------


def test_employee_with_balance_binds_relative_insured_in_province_seed000(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, name="王小明", birth=date(2012, 3, 3))
    view = S.bind(gj, authorizer, child, "child")
    assert view["status"] == "active" and view["relation_name"] == "子女"
    assert view["relative"]["name"] == "王**" and "*" in view["relative"]["cert_no"]
    # Gansu: allocation model (共济账户划拨, seed 000 第四步) — a family account, empty
    assert view["funding_model"] == "allocation" and view["family_balance_fen"] == 0

    def stored(uow):
        b = uow.session.get(FamilyBinding, view["binding_id"])
        audit = uow.session.scalars(select(AuditLog.action).where(AuditLog.entity_id == str(b.id))).all()
        return (b.commitment_version, b.commitment_sha256, len(b.signature_sha256), b.channel, b.signed_at), audit

    (version, digest, signature_len, channel, signed_at), audit = gj.run(stored)
    assert version == family_agreement.texts(gj.profile).version
    assert digest == family_agreement.texts(gj.profile).commitment_sha256 and signature_len == 64
    assert channel == "test" and signed_at is not None
    assert "family.bind" in audit


def test_agreement_must_be_confirmed_on_first_use_seed000(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    req = S.bind_request(gj, authorizer.person_id, child, "child")
    with pytest.raises(AgreementRequired):
        family_binding.bind_relative(gj.run, S.ctx(gj, authorizer), gj.profile, req)
    S.accept_agreement(gj, authorizer)
    assert family_binding.bind_relative(gj.run, S.ctx(gj, authorizer), gj.profile, req)["status"] == "active"


@pytest.mark.parametrize(
    "overrides",
    [
        {"commitment_signed": False},
        {"signature": "李四"},
        {"signature": ""},
        {"commitment_version": "2020.1"},
    ],
    ids=["unsigned", "someone_elses_name", "empty_signature", "old_text_version"],
)
def test_commitment_must_be_signed_with_own_name_on_current_text_seed000(gj, office, authorizer, overrides):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    S.accept_agreement(gj, authorizer)
    _refused(gj, authorizer, child, "child", CommitmentInvalid, **overrides)


# --- the authorizer (seed 000 谁能办) ----------------------------------------------------------------


def test_resident_insured_cannot_authorize_seed000(gj, office):
    resident = S.citizen(gj, S.resident(gj, office, region=GANSU, birth=date(1990, 1, 1)))
    sibling = S.resident(gj, office, region=GANSU, birth=date(1992, 1, 1))
    _refused(gj, resident, sibling, "sibling", AuthorizerNotEmployee)


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (EnrollmentAction.SUSPEND, AuthorizerSuspended),
        (EnrollmentAction.INTERRUPT, AuthorizerInterrupted),
        (EnrollmentAction.END, AuthorizerNotEmployee),
    ],
)
def test_suspended_interrupted_or_ended_authorizer_cannot_bind_seed000(gj, office, authorizer, action, error):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))

    def change(uow):
        record = registry.person_record(uow, S.ctx(gj, office), person_id=authorizer.person_id, audit_read=False)
        registry.change_enrollment(
            uow,
            S.ctx(gj, office),
            enrollment_id=record["enrollments"][0]["enrollment_id"],
            action=action,
            effective_date=date(2026, 11, 1),
        )
        uow.commit()

    gj.run(change)
    _refused(gj, authorizer, child, "child", error)


def test_frozen_personal_account_cannot_authorize_seed000(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))

    def freeze(uow):
        accounts.set_account_frozen(uow, S.ctx(gj, office), person_id=authorizer.person_id, frozen=True, reason="核查")
        uow.commit()

    gj.run(freeze)
    _refused(gj, authorizer, child, "child", AuthorizerAccountFrozen)


def test_gansu_authorizer_without_balance_cannot_bind_and_the_refusal_names_the_rule_seed000(gj, office):
    """000 谁能办: "医保个人账户状态正常且有结余资金" — Gansu's commitment binding from 2026-02-01."""
    broke = S.citizen(gj, S.employee(gj, office, region=GANSU, birth=date(1980, 1, 1), income_fen=0))
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    err = _refused(gj, broke, child, "child", AuthorizerNoBalance)
    assert err.detail["rule"]["effective_from"] == "2026-02-01" and err.detail["rule"]["authorizer_needs_balance"]


@pytest.mark.parametrize(
    ("province", "region", "effective_from"),
    [("zhejiang", ZHEJIANG, "2024-10-10"), ("henan", HENAN, "2024-10-10")],
)
def test_zhejiang_and_henan_bind_at_a_zero_balance_seed003_seed004(gj, province, region, effective_from):
    """The balance condition is Gansu's [000]; Zhejiang [003 三] and Henan [004] set none. The answer
    names the rule in force and its effective date."""
    office = S.staff(gj, [region[:2] + "0000"])
    profile = gj.profiles[province]
    broke = S.citizen(gj, S.employee(gj, office, region=region, birth=date(1980, 1, 1), income_fen=0))
    child = S.resident(gj, office, region=region, birth=date(2012, 3, 3))
    view = S.bind(gj, broke, child, "child", profile=profile)
    assert view["status"] == "active"
    assert view["rule"]["effective_from"] == effective_from and not view["rule"]["authorizer_needs_balance"]


def test_before_the_gansu_commitment_rule_took_effect_binding_is_refused_naming_it_seed000(gj, office, authorizer):
    """000: "自2026年2月1日起，新办理流程正式施行" — before that day the online commitment binding is
    refused, and the answer says which rule and from when; on the day it binds."""
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    now = gj.clock.at
    try:
        gj.clock.at = datetime(2026, 1, 31, 23, 0, tzinfo=SHANGHAI)
        err = _refused(gj, authorizer, child, "child", BindingRuleNotInForce)
        assert err.code == "E_FAMILY_RULE_NOT_IN_FORCE" and err.detail["rule"]["effective_from"] == "2026-02-01"
        gj.clock.at = datetime(2026, 2, 1, 9, 0, tzinfo=SHANGHAI)
        view = S.bind(gj, authorizer, child, "child")
        assert view["rule"]["name"] == "甘肃省医保家庭共济绑定承诺制"
    finally:
        gj.clock.at = now


# --- the relative ---------------------------------------------------------------------------------


def test_unknown_relation_code_is_refused(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    err = _refused(gj, authorizer, child, "cousin", UnknownCode)
    assert err.detail["field"] == "relation"


def test_relation_outside_the_profile_is_refused(gj, office, authorizer):
    sibling = S.resident(gj, office, region=GANSU, birth=date(1983, 3, 3))
    narrow = _family_profile(gj, relation_kinds=("spouse", "parent", "child"))
    with pytest.raises(RelationNotAllowed):
        S.bind(gj, authorizer, sibling, "sibling", profile=narrow)


def test_binding_oneself_is_refused(gj, authorizer):
    _refused(gj, authorizer, authorizer.person_id, "sibling", SelfBinding)


def test_malformed_id_number_is_refused(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    cert = S.person_cert(gj, child)
    wrong = cert[:17] + ("0" if cert[17] != "0" else "1")
    _refused(gj, authorizer, child, "child", IdChecksumMismatch, relative_cert_no=wrong)


def test_name_mismatch_and_unknown_id_get_the_same_answer_without_the_registered_name(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, name="王小明", birth=date(2012, 3, 3))
    mismatch = _refused(gj, authorizer, child, "child", IdentityMismatch, relative_name="王小红")
    unknown_cert = S.new_id(GANSU, date(2011, 1, 1))
    unknown = _refused(gj, authorizer, child, "child", IdentityMismatch, relative_cert_no=unknown_cert)
    assert mismatch.to_dict() == unknown.to_dict()  # nothing tells whether the number exists
    assert "小明" not in str(mismatch.to_dict())


def test_failed_name_matches_are_rate_limited_per_authorizer(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, name="王小明", birth=date(2012, 3, 3))
    limit = gj.profile.family.max_failed_name_matches
    for _ in range(limit):
        _refused(gj, authorizer, child, "child", IdentityMismatch, relative_name="王大明")
    # now even the right name is refused until the window has passed
    _refused(gj, authorizer, child, "child", TooManyAttempts)
    other = S.citizen(gj, S.employee(gj, office, region=GANSU, birth=date(1978, 1, 1), income_fen=500))
    sibling = S.resident(gj, office, region=GANSU, birth=date(1979, 1, 1))
    assert S.bind(gj, other, sibling, "sibling")["status"] == "active"  # per authorizer
    gj.clock.advance(timedelta(minutes=gj.profile.family.name_match_window_minutes + 1))
    assert S.bind(gj, authorizer, child, "child")["status"] == "active"


def test_relative_not_insured_is_refused_seed000(gj, office, authorizer):
    def register(uow):
        p = registry.register_person(uow, S.ctx(gj, office), cert_no=S.new_id(GANSU, date(2012, 3, 3)), name="王小明")
        uow.commit()
        return p.id

    child = gj.run(register)
    _refused(gj, authorizer, child, "child", RelativeNotInsured)


def test_relative_insured_out_of_province_is_refused_seed001(gj, authorizer):
    zj_staff = S.staff(gj, ["330000"])
    child = S.resident(gj, zj_staff, region=ZHEJIANG, birth=date(2012, 3, 3))
    _refused(gj, authorizer, child, "child", RelativeOutOfProvince)


def test_duplicate_binding_of_the_same_pair_is_refused(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    S.bind(gj, authorizer, child, "child")
    _refused(gj, authorizer, child, "child", DuplicateBinding)


def test_relative_with_another_authorizer_refused_when_profile_allows_one(gj, office, authorizer):
    assert gj.profile.family.relative_may_have_several_authorizers is False
    mother = S.resident(gj, office, region=GANSU, birth=date(1955, 3, 3))
    S.bind(gj, authorizer, mother, "parent")
    sister = S.citizen(gj, S.employee(gj, office, region=GANSU, birth=date(1982, 1, 1), income_fen=500))
    _refused(gj, sister, mother, "parent", RelativeHasAuthorizer)
    several = _family_profile(gj, relative_may_have_several_authorizers=True)
    assert S.bind(gj, sister, mother, "parent", profile=several)["status"] == "active"


def test_profile_limits_active_and_lifetime_relatives(gj, office, authorizer):
    tight = _family_profile(gj, max_active_relatives=2, max_lifetime_relatives=3)
    kids = [S.resident(gj, office, region=GANSU, birth=date(2010 + i, 3, 3)) for i in range(4)]
    first = S.bind(gj, authorizer, kids[0], "child", profile=tight)
    S.bind(gj, authorizer, kids[1], "child", profile=tight)
    with pytest.raises(BindingLimit) as active:
        S.bind(gj, authorizer, kids[2], "child", profile=tight)
    assert active.value.detail["kind"] == "active"

    def unbind(uow):
        family_binding.unbind(uow, S.ctx(gj, authorizer), binding_id=first["binding_id"])
        uow.commit()

    gj.run(unbind)
    S.bind(gj, authorizer, kids[2], "child", profile=tight)  # third distinct relative
    gj.run(
        lambda uow: (
            family_binding.unbind(uow, S.ctx(gj, authorizer), binding_id=first["binding_id"] + 1),
            uow.commit(),
        )
    )
    with pytest.raises(BindingLimit) as lifetime:
        S.bind(gj, authorizer, kids[3], "child", profile=tight)
    assert lifetime.value.detail["kind"] == "lifetime"
    # re-binding someone bound before takes no new lifetime slot
    assert S.bind(gj, authorizer, kids[0], "child", profile=tight)["status"] == "active"


# --- plausibility beyond the seeds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("relation", "relative_birth", "reason"),
    [
        ("parent", date(1990, 1, 1), "relative_not_older"),  # a parent younger than the child
        ("paternal_grandparent", date(1985, 1, 1), "relative_not_older"),
        ("child", date(1975, 1, 1), "relative_not_younger"),
        ("grandchild", date(1979, 1, 1), "relative_not_younger"),  # a grandchild older than the grandparent
        ("spouse", date(2010, 1, 1), "relative_under_marriage_age"),
    ],
)
def test_relation_contradicted_by_birth_dates_is_refused(gj, office, authorizer, relation, relative_birth, reason):
    relative = S.resident(gj, office, region=GANSU, birth=relative_birth)
    err = _refused(gj, authorizer, relative, relation, RelationImplausible)
    assert err.detail["reason"] == reason
    assert "出生日期" in err.message_zh


def test_spouse_binding_by_authorizer_under_marriage_age_is_refused(gj, office):
    young = S.citizen(gj, S.employee(gj, office, region=GANSU, birth=date(2006, 1, 1), income_fen=500))
    partner = S.resident(gj, office, region=GANSU, birth=date(2000, 1, 1))
    err = _refused(gj, young, partner, "spouse", RelationImplausible)
    assert err.detail["reason"] == "authorizer_under_marriage_age"


def test_siblings_of_any_age_and_adult_spouses_pass(gj, office, authorizer):
    younger_sibling = S.resident(gj, office, region=GANSU, birth=date(1995, 1, 1))
    spouse = S.resident(gj, office, region=GANSU, birth=date(1982, 7, 7))
    assert S.bind(gj, authorizer, younger_sibling, "sibling")["status"] == "active"
    assert S.bind(gj, authorizer, spouse, "spouse")["status"] == "active"


# --- unbinding and change ----------------------------------------------------------------------------


def test_change_of_relation_is_unbind_then_bind_seed003(gj, office, authorizer):
    relative = S.resident(gj, office, region=GANSU, birth=date(1960, 1, 1))
    first = S.bind(gj, authorizer, relative, "paternal_grandparent")
    with pytest.raises(DuplicateBinding):
        S.bind(gj, authorizer, relative, "parent")

    def unbind(uow):
        b = family_binding.unbind(uow, S.ctx(gj, authorizer), binding_id=first["binding_id"])
        uow.commit()
        return b.status

    assert gj.run(unbind) == "ended"
    assert S.bind(gj, authorizer, relative, "parent")["relation"] == "parent"


def test_citizen_cannot_unbind_someone_elses_binding(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    view = S.bind(gj, authorizer, child, "child")
    stranger = S.citizen(gj, S.employee(gj, office, region=GANSU, birth=date(1970, 1, 1), income_fen=100))

    def go(uow):
        family_binding.unbind(uow, S.ctx(gj, stranger), binding_id=view["binding_id"])
        uow.commit()

    with pytest.raises(GongjiError) as info:
        gj.run(go)
    assert info.value.http_status == 404

    def status(uow):
        return uow.session.get(FamilyBinding, view["binding_id"]).status

    assert gj.run(status) == "active"


def test_transfer_between_pooling_regions_in_province_keeps_the_binding_seed003(gj, office, authorizer):
    child = S.resident(gj, office, region=GANSU, birth=date(2012, 3, 3))
    view = S.bind(gj, authorizer, child, "child")

    def transfer(uow):
        record = registry.person_record(uow, S.ctx(gj, office), person_id=authorizer.person_id, audit_read=False)
        registry.change_enrollment(
            uow,
            S.ctx(gj, office),
            enrollment_id=record["enrollments"][0]["enrollment_id"],
            action=EnrollmentAction.TRANSFER,
            effective_date=date(2026, 11, 1),
            to_region="620102",  # 兰州市城关区
        )
        uow.commit()

    gj.run(transfer)

    def members(uow):
        return family_views.members(uow, S.ctx(gj, authorizer), gj.profile, person_id=authorizer.person_id)

    listed = gj.run(members)["bindings"]
    assert [(b["binding_id"], b["status"]) for b in listed] == [(view["binding_id"], "active")]


def test_the_signed_commitment_version_of_the_province_stays_with_the_binding_seed003(gj):
    """Each province's own commitment (issue 12 B6): a Zhejiang binding records Zhejiang's text
    version and digest [seed 003]; a commitment signed on another province's text is refused."""
    zhejiang = gj.profiles["zhejiang"]
    office = S.staff(gj, ["330000"])
    a = S.citizen(gj, S.employee(gj, office, region=ZHEJIANG, birth=date(1980, 1, 1), income_fen=10_000))
    child = S.resident(gj, office, region=ZHEJIANG, birth=date(2012, 3, 3))
    gansu_version = family_agreement.texts(gj.profile).version
    err = _refused(gj, a, child, "child", CommitmentInvalid, profile=zhejiang, commitment_version=gansu_version)
    assert err.code == "E_FAMILY_COMMITMENT"
    view = S.bind(gj, a, child, "child", profile=zhejiang)
    t = family_agreement.texts(zhejiang)
    assert (view["commitment_version"], view["commitment_sha256"]) == (t.version, t.commitment_sha256)
    assert t.version != gansu_version
