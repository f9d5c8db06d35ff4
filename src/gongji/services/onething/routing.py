"""串并联办理: each part of a case through the use case that already does it, in a savepoint so
that a part refused leaves the others standing.

- family binding (即办件): ``family.agreement.accept_agreement`` + ``family.binding.bind``; a
  relative insured outside the province gets the seed's answer (001 常见问题);
- off-site registration (即办件): ``offsite.registration.register``;
- chronic-disease recognition: ``offsite.chronic.apply`` — it waits for a second clerk; when the
  clerk decides (here or on /staff/chronic) ``recognition_decided`` ends the part;
- direct settlement (主动服务): ends once the registration and recognition of the case ended.

Bad input (an unknown code, a malformed ID number), a scope refusal or the binding's rate limit
stops the whole application instead: nothing is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import (
    ChronicRecognition,
    FamilyMatchFailure,
    OneThingCase,
    OneThingPart,
)
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import offsite as O
from gongji.domain import onething as T
from gongji.domain.errors import (
    AuthError,
    Forbidden,
    GongjiError,
    IdentityMismatch,
    InvalidInput,
    NotFound,
    RelativeOutOfProvince,
    TooManyAttempts,
)
from gongji.domain.masking import mask_name
from gongji.domain.relations import RELATION_ZH
from gongji.policy.schema import Profile
from gongji.services.family import agreement, binding
from gongji.services.offsite import chronic, registration
from gongji.services.offsite import common as C
from gongji.services.registry.context import Ctx, audit_event

_RELATION_ZH: dict[str, str] = {str(k): v for k, v in RELATION_ZH.items()}
STOPS_THE_CASE: tuple[type[GongjiError], ...] = (InvalidInput, Forbidden, NotFound, AuthError, TooManyAttempts)


def attempt(
    uow: UnitOfWork, ctx: Ctx, part: OneThingPart, step: Callable[[], str], *, answer: Callable[[GongjiError], str]
) -> bool:
    """Run ``step`` in a savepoint: done with its result text, or refused with the reason."""
    try:
        with uow.session.begin_nested():
            result = step()
    except STOPS_THE_CASE:
        raise
    except GongjiError as err:
        end(ctx, part, T.REFUSED, answer(err), code=err.code)
        return False
    end(ctx, part, T.DONE, result)
    return True


def end(ctx: Ctx, part: OneThingPart, status: str, text: str, *, code: str | None = None) -> None:
    part.status, part.result_zh, part.result_code = status, text[:300], code
    part.ended_at, part.ended_by_user_id = ctx.clock.now(), ctx.principal.user_id


def run_family(uow: UnitOfWork, ctx: Ctx, profile: Profile, part: OneThingPart, req: binding.BindRequest) -> None:
    """Bind on the one signature; a failed name match is counted as on the binding page."""

    def step() -> str:
        agreement.accept_agreement(
            uow, ctx, profile, person_id=req.authorizer_id, version=agreement.texts(profile).version
        )
        made = binding.bind(uow, ctx, profile, req)
        part.binding_id = made.id
        return f"已绑定家庭共济关系：{mask_name(req.relative_name)}（{_RELATION_ZH.get(req.relation, req.relation)}）"

    def answer(err: GongjiError) -> str:
        if isinstance(err, RelativeOutOfProvince) and profile.onething is not None:
            return profile.onething.family_scope_answer  # 001 常见问题
        return err.message_zh

    if not attempt(uow, ctx, part, step, answer=answer) and part.result_code == IdentityMismatch.code:
        uow.session.add(FamilyMatchFailure(authorizer_id=req.authorizer_id, at=ctx.clock.now()))
        audit_event(uow, ctx, "family.bind_mismatch", "person", req.authorizer_id)


def run_registration(uow: UnitOfWork, ctx: Ctx, profile: Profile, part: OneThingPart, app: Any) -> None:
    def step() -> str:
        reg = registration.register(uow, ctx, profile, app)
        part.registration_id = reg.id
        end_text = reg.end_date.isoformat() if reg.end_date else "长期有效"
        return (
            f"备案号{reg.serial}：{O.KIND_ZH[reg.kind]}，就医地{C.destination_name(reg.destination_code)}，"
            f"{reg.start_date.isoformat()}至{end_text}"
        )

    attempt(uow, ctx, part, step, answer=lambda err: err.message_zh)


def run_chronic(uow: UnitOfWork, ctx: Ctx, profile: Profile, part: OneThingPart, **kw: Any) -> None:
    """The application waits (``processing``) for a second clerk; a refusal ends the part now."""
    try:
        with uow.session.begin_nested():
            rec = chronic.apply(uow, ctx, profile, **kw)
    except STOPS_THE_CASE:
        raise
    except GongjiError as err:
        end(ctx, part, T.REFUSED, err.message_zh, code=err.code)
        return
    part.recognition_id = rec.id
    part.status, part.started_at = T.PROCESSING, ctx.clock.now()


def settle(uow: UnitOfWork, ctx: Ctx, case: OneThingCase, part: OneThingPart) -> None:
    """医疗费用报销直接结算 (主动服务, 定点医药机构): what the person may now settle directly."""
    parts = {p.kind: p for p in parts_of(uow, case.id)}
    reg, rec = parts.get(T.REGISTRATION), parts.get(T.CHRONIC)
    if reg is not None and reg.status == T.REFUSED:
        end(
            ctx,
            part,
            T.REFUSED,
            "异地就医备案未办结，暂不能在异地直接结算；参保地定点医药机构持医保凭证直接结算不受影响",
            code="E_ONETHING_NO_REGISTRATION",
        )
        return

    def step() -> str:
        C.insurance_of(uow, case.person_id)  # 提供参保人员有效身份证件: insured in normal status
        text = "持医保凭证（有效身份证件或医保电子凭证）在定点医药机构直接结算"
        if reg is not None and reg.registration_id is not None:
            text = f"已开通异地就医直接结算（{(reg.result_zh or '').split('：')[0]}），" + text
        if rec is not None and rec.status == T.DONE:
            text += "；门诊慢特病可跨省直接结算"
        elif rec is not None:
            text += "；门诊慢特病未认定，暂不能按门诊慢特病跨省直接结算"
        return text

    attempt(uow, ctx, part, step, answer=lambda err: err.message_zh)


def advance(uow: UnitOfWork, ctx: Ctx, case: OneThingCase) -> None:
    """Start the waiting parts whose earlier parts ended; close the case when all parts ended."""
    parts = parts_of(uow, case.id)
    states = {p.kind: p.status for p in parts}
    for p in parts:
        if p.status == T.WAITING and T.ready(p.kind, states):
            p.started_at = ctx.clock.now()
            settle(uow, ctx, case, p)
            states[p.kind] = p.status
    uow.session.flush()
    if case.status != T.CLOSED and T.case_state(states.values()) == T.CLOSED:
        case.status, case.closed_at, case.closed_on = T.CLOSED, ctx.clock.now(), ctx.clock.today()
        uow.session.flush()
        audit_event(
            uow, ctx, "onething.close", "onething_case", case.id,
            parts={p.kind: p.status for p in parts},
        )  # fmt: skip


def recognition_decided(uow: UnitOfWork, ctx: Ctx, rec: ChronicRecognition) -> None:
    """A clerk approved or rejected a recognition: end its part and move its case on."""
    part = uow.session.scalar(
        select(OneThingPart).where(OneThingPart.recognition_id == rec.id, OneThingPart.status == T.PROCESSING)
    )
    if part is None:
        return
    if rec.status == O.APPROVED:
        end(
            ctx,
            part,
            T.DONE,
            f"门诊慢特病已认定，{rec.start_date.isoformat()}起有效（审核人 {rec.reviewer_name or ''}）",
        )
    else:
        end(ctx, part, T.REFUSED, f"门诊慢特病认定未通过：{rec.review_note or ''}", code="E_CHRONIC_REJECTED")
    case = uow.session.get(OneThingCase, part.case_id)
    assert case is not None
    advance(uow, ctx, case)
    audit_event(uow, ctx, "onething.part", "onething_case", case.id, part=part.kind, status=part.status)


def parts_of(uow: UnitOfWork, case_id: int) -> list[OneThingPart]:
    return list(
        uow.session.scalars(select(OneThingPart).where(OneThingPart.case_id == case_id).order_by(OneThingPart.id))
    )


def request_json(**fields: Any) -> str:
    return json.dumps({k: v for k, v in fields.items() if v not in (None, "")}, ensure_ascii=False, sort_keys=True)
