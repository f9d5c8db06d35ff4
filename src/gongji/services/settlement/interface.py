"""The national 两定 interface's front door: gateway authentication, the envelope, msgid replay
and the dispatch of each ``infno`` to its use case (SPEC §5; INTERFACE.md §2, §3, §7).

Every answer is the spec's envelope. A refusal is ``infcode -1`` with a Chinese ``err_msg``
(the code and English text ride along in ``err_code`` / ``err_msg_en``, which lenient clients
ignore) and nothing written. The first successful answer to an institution's ``msgid`` is
stored in the same database transaction as its effects, so a repeated ``msgid`` gets that
answer back and moves no money again; the same ``msgid`` with a different request is refused.
A request the gateway refuses (docs/his-signing.md: signature over method, path, timestamp,
nonce and body; single-use nonce; ``_api_name`` = ``infno``; active institution and key) gets
the gateway's HTTP 401/403 answer, and nothing behind it runs.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from gongji.adapters.db.models import Institution, NhsaMessage
from gongji.adapters.db.unit_of_work import UnitOfWork
from gongji.adapters.nhsa import spec
from gongji.domain import ledger as L
from gongji.domain.errors import (
    CredentialMismatch,
    GatewayRefusal,
    GongjiError,
    InvalidRequest,
    MessageIdReused,
    UnknownTransaction,
    WrongInstitution,
)
from gongji.policy.schema import Profile
from gongji.services import auth
from gongji.services.audit import Channel
from gongji.services.institutions import gateway, keys
from gongji.services.registry.persons import Ctx
from gongji.services.settlement import (
    cancel,
    credentials,
    fees,
    person_info,
    reconciliation,
    settle,
    views,
    visits,
)
from gongji.services.settlement.answer import Answer

ENVELOPE_REQUIRED = ("infno", "msgid", "mdtrtarea_admvs", "fixmedins_code", "inf_time", "input")
"""Envelope fields we insist on. The spec also marks recer_sys_code, infver, opter_type, opter,
opter_name and fixmedins_name required; clients differ on them and nothing here depends on
them, so they are read when present (INTERFACE.md §2, §9)."""

OFFERED = spec.known_infnos()
"""The transactions offered: those whose field lists are shipped (data/nhsa/fields.json); each has
a handler below (a test checks the two agree)."""

SERVICE_PATHS: dict[str, str] = {
    "/fsi/api/fsiPsnInfoService/queryPsnInfo": "1101",
    "/fsi/api/outpatientDocInfoService/outpatientRregistration": "2201",
    "/fsi/api/outpatientDocInfoService/outpatientRregistrationCancel": "2202",
    "/fsi/api/outpatientDocInfoService/outpatientFeeListUp": "2204",
    "/fsi/api/outpatientDocInfoService/outpatientFeeListUpCancel": "2205",
    "/fsi/api/outpatientSettleService/preSettletment": "2206",
    "/fsi/api/outpatientSettleService/saveSettletmentV2": "2207",
    "/fsi/api/outpatientSettleService/saveSettletment": "2207",
    "/fsi/api/outpatientSettleService/cancleSettletment": "2208",
    "/fsi/api/reverseService/revsMethod": "2601",
    "/fsi/api/ybSettlementStmtService/stmtTotal": "3201",
    "/fsi/api/ybSettlementStmtService/stmtDetail": "3202",
    "/fsi/api/fsiIntegratedQueryService/querySetlInfo": "5203",
    "/fsi/api/signInSignOutService/signIn": "9001",
    "/fsi/api/fileupload/upload": "9101",
    "/fsi/api/fileupload/download": "9102",
}
"""Per-service paths (INTERFACE.md §3, style 3; openhis ``GetPubWay``)."""


@dataclass(frozen=True)
class Envelope:
    infno: str
    msgid: str
    mdtrtarea_admvs: str
    insuplc_admdvs: str | None
    fixmedins_code: str
    inf_time: str
    sign_no: str | None
    opter: str | None
    raw_input: Any


def _stamp(now: datetime) -> str:
    """yyyyMMddHHmmssSSS in Beijing time."""
    return now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}"


def _refmsgid(region: str, now: datetime) -> str:
    """接收方医保区划(6) + yyyyMMddHHmmss(14) + 流水号(10)."""
    return f"{(region or '000000')[:6]:0>6}{now.strftime('%Y%m%d%H%M%S')}{secrets.randbelow(10**10):010d}"


def _answer(
    *, infcode: int, output: Any, err: GongjiError | None, region: str, received: datetime, now: datetime
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "infcode": infcode,
        "inf_refmsgid": _refmsgid(region, now),
        "refmsg_time": _stamp(received),
        "respond_time": _stamp(now),
        "enctype": "",
        "signtype": "",
        "cainfo": "",
        "warn_msg": "",
        "err_msg": None,
        "output": output,
    }
    if err is not None:
        detail = err.detail.get("field") if isinstance(err.detail, dict) else None
        message = err.message_zh + (f"（{detail}）" if detail and str(detail) not in err.message_zh else "")
        body["err_msg"] = message[:200]
        body["err_code"] = err.code
        body["err_msg_en"] = err.message_en
    return body


def _local(ctx_now: datetime) -> datetime:
    from zoneinfo import ZoneInfo

    return ctx_now.astimezone(ZoneInfo("Asia/Shanghai"))


def _envelope(body: Any, path_infno: str | None) -> Envelope:
    if not isinstance(body, dict):
        raise InvalidRequest("请求报文须为JSON对象", "The request must be a JSON object")
    for name in ENVELOPE_REQUIRED:
        value = body.get(name)
        if value is None or value == "":
            raise InvalidRequest(f"缺少报文头字段 {name}", f"Missing envelope field {name}", field=name)
    infno = str(body["infno"])
    if path_infno is not None and path_infno != infno:
        raise InvalidRequest(
            f"地址中的交易编号 {path_infno} 与报文 infno {infno} 不一致",
            "The infno in the path differs from the body's",
            field="infno",
        )
    if infno not in OFFERED:
        raise UnknownTransaction(f"不支持的接口编号: {infno}", f"Unsupported infno: {infno}", field="infno")
    msgid = str(body["msgid"])
    if len(msgid) > 64:
        raise InvalidRequest("发送方报文ID过长（最长30位）", "msgid is too long", field="msgid")
    for name in ("mdtrtarea_admvs", "insuplc_admdvs"):
        value = body.get(name)
        if value not in (None, "") and not (
            isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()
        ):
            raise InvalidRequest(f"{name} 须为6位医保区划代码", f"{name} must be a 6-digit region code", field=name)
    return Envelope(
        infno=infno,
        msgid=msgid,
        mdtrtarea_admvs=str(body["mdtrtarea_admvs"]),
        insuplc_admdvs=body.get("insuplc_admdvs") or None,
        fixmedins_code=str(body["fixmedins_code"]),
        inf_time=str(body["inf_time"]),
        sign_no=body.get("sign_no"),
        opter=body.get("opter"),
        raw_input=body["input"],
    )


@dataclass(frozen=True)
class Caller:
    """Who signed the request: the institution of the key and the institution's system user."""

    institution: Institution
    principal: auth.Principal


def _infno_of(raw_body: bytes, path_infno: str | None) -> str | None:
    """The body's ``infno`` that ``_api_name`` must equal (the path's when the body has none);
    None when the body is not a JSON object — the envelope check refuses it then."""
    try:
        body = json.loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return path_infno
    if isinstance(body, dict) and body.get("infno") not in (None, ""):
        return str(body["infno"])
    return path_infno


Handler = Callable[[UnitOfWork, Ctx, Profile, Any, Envelope, dict[str, Any]], Any]


def _handlers() -> dict[str, Handler]:
    def one(node: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def pick(parsed: dict[str, Any]) -> dict[str, Any]:
            value = parsed.get(node)
            return value[0] if isinstance(value, list) and value else (value or {})

        return pick

    data = one("data")
    return {
        "9001": lambda uow, ctx, p, inst, env, parsed: reconciliation.sign_in(uow, ctx, inst, one("signIn")(parsed)),
        "1101": lambda uow, ctx, p, inst, env, parsed: person_info.person_info(
            uow, ctx, inst, data(parsed), msgid=env.msgid, opter=env.opter, profile=p
        ),
        "2201": lambda uow, ctx, p, inst, env, parsed: visits.register_visit(uow, ctx, inst, env.msgid, data(parsed)),
        "2202": lambda uow, ctx, p, inst, env, parsed: visits.cancel_visit(uow, ctx, inst, data(parsed)),
        "2204": lambda uow, ctx, p, inst, env, parsed: fees.upload_fees(uow, ctx, p, inst, list(parsed["feedetail"])),
        "2205": lambda uow, ctx, p, inst, env, parsed: fees.withdraw_fees(uow, ctx, inst, data(parsed)),
        "2206": lambda uow, ctx, p, inst, env, parsed: settle.pre_settle(uow, ctx, p, inst, env.msgid, data(parsed)),
        "2207": lambda uow, ctx, p, inst, env, parsed: settle.settle(uow, ctx, p, inst, env.msgid, data(parsed)),
        "2208": lambda uow, ctx, p, inst, env, parsed: cancel.cancel(uow, ctx, inst, env.msgid, data(parsed)),
        "2601": lambda uow, ctx, p, inst, env, parsed: cancel.reverse_message(uow, ctx, inst, env.msgid, data(parsed)),
        "5203": lambda uow, ctx, p, inst, env, parsed: views.query_settlement(uow, ctx, inst, data(parsed)),
        "3201": lambda uow, ctx, p, inst, env, parsed: reconciliation.statement_totals(uow, ctx, inst, data(parsed)),
        "3202": lambda uow, ctx, p, inst, env, parsed: reconciliation.statement_details(uow, ctx, inst, data(parsed)),
        "9101": lambda uow, ctx, p, inst, env, parsed: reconciliation.upload_file(
            uow, ctx, inst, one("fsUploadIn")(parsed)
        ),
        "9102": lambda uow, ctx, p, inst, env, parsed: reconciliation.download_file(
            uow, ctx, inst, one("fsDownloadIn")(parsed)
        ),
    }


HANDLERS = _handlers()


def call(
    run: Callable[[Callable[[UnitOfWork], Answer]], Answer],
    *,
    profile: Profile,
    clock: Any,
    headers: Mapping[str, str],
    raw_body: bytes,
    path_infno: str | None,
    client_addr: str | None,
    method: str = "POST",
    path: str = "/fsi/api/rsfComIfsService/callService",
) -> Answer:
    """Handle one HTTP call of the interface; ``run`` is the app's retrying unit-of-work runner.
    ``method`` and ``path`` (with any query string) are what the gateway signature covers."""
    received = _local(clock.now())
    region = ""

    def refuse(err: GongjiError) -> Answer:
        now = _local(clock.now())
        return Answer(200, _answer(infcode=-1, output={}, err=err, region=region, received=received, now=now))

    try:
        admitted = gateway.admit(
            run,  # type: ignore[arg-type]
            gateway.Request(headers=headers, method=method, path=path, body=raw_body),
            holder=keys.INSTITUTION,
            api_name=_infno_of(raw_body, path_infno),
            clock=clock,
        )
    except GatewayRefusal as refused:
        return Answer(refused.http_status, gateway.refusal_body(refused))

    def use_case(uow: UnitOfWork) -> Answer:
        nonlocal region
        institution = uow.session.scalar(
            select(Institution).where(Institution.fixmedins_code == admitted.fixmedins_code)
        )
        assert institution is not None
        caller = Caller(institution, admitted.principal)
        try:
            try:
                body = json.loads(raw_body)
            except (ValueError, UnicodeDecodeError):
                raise InvalidRequest("请求报文不是合法的JSON", "The request body is not valid JSON") from None
            env = _envelope(body, path_infno)
            region = env.mdtrtarea_admvs
            if env.fixmedins_code != caller.institution.fixmedins_code:
                raise WrongInstitution(
                    "报文中的定点医药机构编号与接入凭证不符",
                    "fixmedins_code differs from the gateway key's institution",
                    field="fixmedins_code",
                )
            digest = L.request_hash({"infno": env.infno, "input": env.raw_input})
            stored = uow.session.scalar(
                select(NhsaMessage).where(
                    NhsaMessage.fixmedins_code == env.fixmedins_code, NhsaMessage.msgid == env.msgid
                )
            )
            if stored is not None:
                if stored.request_hash != digest or stored.infno != env.infno:
                    raise MessageIdReused(field="msgid")
                return Answer(200, json.loads(stored.response_json))
            try:
                parsed = spec.parse_input(env.infno, env.raw_input)
            except spec.SpecViolation as violation:
                raise InvalidRequest(violation.zh, violation.en, field=violation.field) from None
            ctx = Ctx(principal=caller.principal, channel=Channel(name="nhsa", client_addr=client_addr), clock=clock)
            output = HANDLERS[env.infno](uow, ctx, profile, caller.institution, env, parsed)
            if isinstance(output, Answer):  # 9102 returns the file itself
                uow.commit()
                return output
            now = _local(clock.now())
            answer = _answer(infcode=0, output=output, err=None, region=region, received=received, now=now)
            uow.session.add(
                NhsaMessage(
                    fixmedins_code=env.fixmedins_code,
                    msgid=env.msgid,
                    infno=env.infno,
                    request_hash=digest,
                    response_json=json.dumps(answer, ensure_ascii=False),
                    created_at=clock.now(),
                )
            )
            uow.commit()
            return Answer(200, answer)
        except GongjiError as err:
            uow.session.rollback()
            if isinstance(err, CredentialMismatch):  # someone else's credential: both persons see the attempt
                credentials.record_refusal(
                    uow,
                    err,
                    institution_code=caller.institution.fixmedins_code,
                    infno=env.infno,
                    opter=env.opter,
                    msgid=env.msgid,
                    at=clock.now(),
                )
                uow.commit()
            return refuse(err)

    return run(use_case)
