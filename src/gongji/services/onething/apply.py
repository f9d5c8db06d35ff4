"""The one form (多表合一, 一表申报, seed 001): checked as a whole, accepted at once, routed.

Checked before anything is written, each with its own refusal: the province offers the service;
who applies for whom (the citizen for themself online, staff at the window for a person of their
regions, with an agent's name if someone came instead); the parts (known, at least one, each
with its details); at most ``max_materials`` materials, the ID among them; the commitment read
and signed with the applicant's own name (承诺件). Then the case is accepted (受理): it records
the channel and the visit (none online; the window is the one visit, for the seed's reason),
what was committed to and the proofs that may follow, and each part goes to its office
(``routing``). A part refused is not an error: the case carries its reason.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date

from gongji.adapters.db.models import OneThingCase, OneThingPart
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.domain import family as F
from gongji.domain import offsite as O
from gongji.domain import onething as T
from gongji.domain.errors import InvalidRequest, OneThingCommitmentInvalid, OneThingNotOffered
from gongji.domain.masking import mask_id_number, mask_name
from gongji.policy.schema import OneThing, Profile
from gongji.services.family import agreement
from gongji.services.family.binding import BindRequest
from gongji.services.offsite import common as C
from gongji.services.offsite import registration
from gongji.services.onething import routing
from gongji.services.registry.context import Ctx, audit_event, get_person


@dataclass(frozen=True)
class FamilyPart:
    relative_name: str
    relative_cert_no: str
    relation: str


@dataclass(frozen=True)
class RegistrationPart:
    kind: str
    destination_code: str
    start_date: date | None = None
    end_date: date | None = None
    address: str = ""


@dataclass(frozen=True)
class ChronicPart:
    disease: str
    organ: str | None = None
    diagnosis: str = ""


@dataclass(frozen=True)
class Application:
    person_id: int
    parts: tuple[str, ...]
    materials: tuple[str, ...]
    signature: str
    commitment_signed: bool
    family: FamilyPart | None = None
    registration: RegistrationPart | None = None
    chronic: ChronicPart | None = None
    phone: str = ""
    agent_name: str = ""
    agent_relation: str = ""


def rules(profile: Profile) -> OneThing:
    if profile.onething is None:
        raise OneThingNotOffered(province=profile.code)
    return profile.onething


def apply(uow: UnitOfWork, ctx: Ctx, profile: Profile, app: Application) -> OneThingCase:
    """Accept the application and route its parts; the case, flushed."""
    r = rules(profile)
    acting = C.acting_for(uow, ctx, app.person_id, agent_name=app.agent_name, agent_relation=app.agent_relation)
    if acting.channel == O.ONLINE_RELATIVE:  # the binding and the commitment are the person's own
        raise InvalidRequest("一件事须由本人网上申请或到窗口办理", "Apply for yourself online", field="person_id")
    channel = {O.ONLINE_SELF: T.ONLINE, O.WINDOW: T.WINDOW, O.WINDOW_AGENT: T.WINDOW_AGENT}[acting.channel]
    parts = T.check_parts(app.parts)
    materials = T.check_materials(list(app.materials), max_materials=r.max_materials)
    _check_details(app, parts)
    person = get_person(uow, app.person_id)
    if not app.commitment_signed or not F.names_match(app.signature, person.name):
        raise OneThingCommitmentInvalid()
    enrollment = C.insurance_of(uow, app.person_id)

    now, today = ctx.clock.now(), ctx.clock.today()
    proof, proofs_pending = _registration_proof(profile, app, materials)
    commitments = [{"code": "onething", "version": T.COMMITMENT_VERSION, "zh": "就医费用报销一件事承诺书"}]
    if T.FAMILY in parts:
        commitments.append(
            {"code": "family", "version": agreement.texts(profile).version, "zh": "家庭共济绑定承诺书及协议"}
        )
    if proof == O.COMMITMENT:
        commitments.append(
            {"code": "offsite", "version": O.COMMITMENT_VERSION, "zh": "异地就医个人承诺书（代替证明材料）"}
        )
    visits = T.visits_at_acceptance(channel)
    case = OneThingCase(
        serial=f"tmp-{uuid.uuid4().hex[:20]}",
        person_id=app.person_id,
        insured_region=enrollment.region_code,
        channel=channel,
        agent_name=acting.agent_name,
        agent_relation=acting.agent_relation,
        phone=_text(app.phone, 20, "phone"),
        materials=",".join(materials),
        commitments=json.dumps(commitments, ensure_ascii=False),
        commitment_sha256=hashlib.sha256(
            "|".join(
                [T.COMMITMENT_VERSION, T.COMMITMENT_TEXT, str(app.person_id), app.signature.strip(), now.isoformat()]
            ).encode()
        ).hexdigest(),
        proofs_pending=",".join(proofs_pending),
        proofs_received="[]",
        visits=visits,
        visit_reason=r.visit_reason if visits else None,
        status=T.REVIEWING,
        accepted_at=now,
        accepted_on=today,
        created_by_user_id=ctx.principal.user_id,
    )
    uow.session.add(case)
    uow.session.flush()
    case.serial = f"YJ{today:%Y%m%d}{case.id:08d}"
    made = {k: _part(uow, case, k, app) for k in parts}
    uow.session.flush()
    audit_event(
        uow, ctx, "onething.apply", "onething_case", case.id,
        person_id=app.person_id, parts=list(parts), channel=channel, materials=list(materials), visits=visits,
    )  # fmt: skip
    _route(uow, ctx, profile, case, made, app, proof)
    return case


def _route(
    uow: UnitOfWork,
    ctx: Ctx,
    profile: Profile,
    case: OneThingCase,
    made: dict[str, OneThingPart],
    app: Application,
    proof: str | None,
) -> None:
    """串并联: the 即办件 and the recognition side by side now; settlement after them."""
    if T.FAMILY in made and app.family is not None:
        req = BindRequest(
            authorizer_id=app.person_id,
            relative_name=app.family.relative_name,
            relative_cert_no=app.family.relative_cert_no,
            relation=app.family.relation,
            commitment_version=agreement.texts(profile).version,
            commitment_signed=True,
            signature=app.signature,
        )
        routing.run_family(uow, ctx, profile, made[T.FAMILY], req)
    if T.REGISTRATION in made and app.registration is not None:
        g = app.registration
        reg_app = registration.Application(
            person_id=app.person_id,
            kind=g.kind,
            destination_code=g.destination_code,
            materials=frozenset({O.ID_CARD, O.FORM} | ({proof} if proof else set())),
            commitment_signed=proof == O.COMMITMENT,
            start_date=g.start_date,
            end_date=g.end_date,
            address=g.address,
            phone=app.phone,
            agent_name=app.agent_name,
            agent_relation=app.agent_relation,
        )
        routing.run_registration(uow, ctx, profile, made[T.REGISTRATION], reg_app)
    if T.CHRONIC in made and app.chronic is not None:
        c = app.chronic
        routing.run_chronic(
            uow, ctx, profile, made[T.CHRONIC],
            person_id=app.person_id, disease=c.disease, organ=c.organ, diagnosis=c.diagnosis,
            agent_name=app.agent_name, agent_relation=app.agent_relation,
        )  # fmt: skip
    uow.session.flush()
    routing.advance(uow, ctx, case)


def _part(uow: UnitOfWork, case: OneThingCase, kind: str, app: Application) -> OneThingPart:
    request = "{}"
    if kind == T.FAMILY and app.family is not None:
        f = app.family
        request = routing.request_json(
            relative_name=mask_name(f.relative_name),
            relative_cert_no=mask_id_number(f.relative_cert_no),
            relation=f.relation,
        )
    elif kind == T.REGISTRATION and app.registration is not None:
        g = app.registration
        request = routing.request_json(
            kind=g.kind,
            destination_code=g.destination_code,
            start_date=g.start_date.isoformat() if g.start_date else None,
            end_date=g.end_date.isoformat() if g.end_date else None,
        )
    elif kind == T.CHRONIC and app.chronic is not None:
        request = routing.request_json(disease=app.chronic.disease, organ=app.chronic.organ)
    part = OneThingPart(
        case_id=case.id,
        kind=kind,
        office=T.OFFICE_OF[kind],
        status=T.WAITING,
        request=request,
        started_at=case.accepted_at if kind != T.SETTLEMENT else None,
    )
    uow.session.add(part)
    return part


def _check_details(app: Application, parts: tuple[str, ...]) -> None:
    needs = {T.FAMILY: app.family, T.REGISTRATION: app.registration, T.CHRONIC: app.chronic}
    for kind, details in needs.items():
        if kind in parts and details is None:
            raise InvalidRequest(f"请填写{T.PART_ZH[kind]}的内容", "The part's details are missing", field=kind)


def _registration_proof(
    profile: Profile, app: Application, materials: tuple[str, ...]
) -> tuple[str | None, tuple[str, ...]]:
    """The proof handed to the registration: one the kind takes that was given, else the signed
    个人承诺书 where the kind takes it — and then the kind's proof may follow (承诺件)."""
    if app.registration is None or T.REGISTRATION not in app.parts:
        return None, ()
    kind = profile.offsite.kind_of(app.registration.kind)
    if kind is None:
        return None, ()  # the registration refuses the unknown kind itself
    given = [m for m in kind.proof_any_of if m in materials and m != O.COMMITMENT]
    if given:
        return given[0], ()
    if O.COMMITMENT in kind.proof_any_of and T.COMMITMENT in materials:
        later = [m for m in kind.proof_any_of if m != O.COMMITMENT]
        return O.COMMITMENT, T.proofs_to_follow(materials, registration_proof=later[0] if later else None)
    return None, ()


def _text(value: str, n: int, name: str) -> str | None:
    value = (value or "").strip()
    if len(value) > n:
        raise InvalidRequest(f"输入过长（不超过{n}个字符）", f"Too long (at most {n} characters)", field=name)
    return value or None
