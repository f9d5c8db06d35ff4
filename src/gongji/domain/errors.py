"""Every error a Gongji client can receive: one code, a Chinese message and an English one.

Entrypoints turn these into answers (HTTP status + JSON body, or a CLI message); domain code
and use cases only raise them. A client sees::

    {"code": "E_ID_CHECKSUM", "message": "身份证号码校验位错误", "message_en": "...", "detail": {...}}

The hierarchy (HTTP status in brackets)::

    GongjiError
    ├── ServiceUnavailable [503]            E_UNAVAILABLE (the database cannot be reached; retry)
    ├── InvalidInput [422]                  bad input; nothing was written
    │   ├── InvalidIdNumber                 E_ID_FORMAT
    │   │   ├── IdChecksumMismatch          E_ID_CHECKSUM
    │   │   ├── IdBirthDateInvalid          E_ID_BIRTHDATE
    │   │   └── IdRegionUnknown             E_ID_REGION
    │   ├── InvalidAmount                   E_AMOUNT (not a positive whole number of fen, too large)
    │   ├── UnknownCode                     E_UNKNOWN_CODE (region, insutype, person type, ...)
    │   ├── InvalidRequest                  E_VALIDATION (schema: missing/oversize/wrong type)
    │   ├── WeakPassword                    E_PASSWORD_WEAK (new password too short/simple)
    │   ├── UnsupportedMediaType [415]      E_CONTENT_TYPE
    │   └── PayloadTooLarge [413]           E_TOO_LARGE (request body over the route's cap)
    ├── AuthError [401]                     E_AUTH_REQUIRED
    │   ├── BadCredentials                  E_AUTH_INVALID
    │   ├── TokenExpired                    E_TOKEN_EXPIRED
    │   ├── ResetCodeInvalid                E_AUTH_RESET_CODE (wrong, used or expired reset code)
    │   └── GatewayRefusal                  E_GATEWAY: a signed request refused (docs/his-signing.md)
    │       ├── GatewayHeadersMissing       E_GATEWAY_HEADERS
    │       ├── GatewayTimestamp            E_GATEWAY_TIMESTAMP (outside ±5 minutes)
    │       ├── GatewayUnknownKey           E_GATEWAY_KEY
    │       ├── GatewayKeyRevoked           E_GATEWAY_KEY_REVOKED
    │       ├── GatewaySignature            E_GATEWAY_SIGNATURE
    │       ├── GatewayNonceReused          E_GATEWAY_NONCE (replay)
    │       ├── GatewayApiName              E_GATEWAY_API_NAME (_api_name ≠ infno)
    │       └── GatewayHolderInactive [403] E_GATEWAY_SUSPENDED (institution suspended/ended)
    ├── LoginThrottled [429]                E_AUTH_THROTTLED (too many failed logins; retry at …)
    ├── Forbidden [403]                     E_FORBIDDEN
    │   ├── OldPasswordWrong                E_PASSWORD_OLD (password change: old one wrong)
    │   ├── OutOfRegion                     E_OUT_OF_REGION
    │   ├── FourEyesRequired                E_FOUR_EYES (the clerk who entered it cannot approve it)
    │   └── OffsiteNotBound                 E_OFFSITE_NOT_BOUND (on behalf of someone not a bound relative)
    ├── NotFound [404]                      E_NOT_FOUND
    │   └── NoSuchRoute                     E_HTTP_404 (no page or endpoint at this address)
    ├── MethodNotAllowed [405]              E_HTTP_405
    ├── InternalError [500]                 E_INTERNAL (unexpected; details only in the log)
    ├── Conflict [409]
    │   ├── IdempotencyConflict             E_IDEMPOTENCY_MISMATCH (same key, different body)
    │   ├── DuplicateRecord                 E_DUPLICATE (e.g. a person already registered)
    │   ├── InvalidStateTransition          E_STATE (e.g. resume an enrollment that is normal)
    │   └── AccountingUnmapped              E_ACCOUNTING_UNMAPPED (a ledger account without a subject)
    ├── LedgerError [422]
    │   ├── UnbalancedTransaction           E_LEDGER_UNBALANCED
    │   ├── InsufficientBalance             E_INSUFFICIENT_BALANCE
    │   └── AccountFrozen                   E_ACCOUNT_FROZEN
    ├── FamilyRefusal [422]                 E_FAMILY: a family mutual-aid rule refuses (SPEC §4)
    │   ├── AgreementRequired               E_FAMILY_AGREEMENT (承诺协议 not yet confirmed)
    │   ├── CommitmentInvalid               E_FAMILY_COMMITMENT (承诺书 not signed as shown)
    │   ├── AuthorizerNotEmployee           E_FAMILY_AUTHORIZER_NOT_EMPLOYEE
    │   ├── AuthorizerSuspended             E_FAMILY_AUTHORIZER_SUSPENDED
    │   ├── AuthorizerInterrupted           E_FAMILY_AUTHORIZER_INTERRUPTED
    │   ├── AuthorizerAccountFrozen         E_FAMILY_AUTHORIZER_FROZEN
    │   ├── AuthorizerNoBalance             E_FAMILY_AUTHORIZER_NO_BALANCE
    │   ├── RelationNotAllowed              E_FAMILY_RELATION
    │   ├── SelfBinding                     E_FAMILY_SELF
    │   ├── IdentityMismatch                E_FAMILY_IDENTITY (name and ID number do not match)
    │   ├── TooManyAttempts [429]           E_FAMILY_TOO_MANY_ATTEMPTS
    │   ├── RelativeNotInsured              E_FAMILY_RELATIVE_NOT_INSURED
    │   ├── RelativeOutOfProvince           E_FAMILY_RELATIVE_OUT_OF_PROVINCE
    │   ├── RelationImplausible             E_FAMILY_IMPLAUSIBLE (birth dates contradict it)
    │   ├── DuplicateBinding [409]          E_FAMILY_DUPLICATE
    │   ├── RelativeHasAuthorizer [409]     E_FAMILY_RELATIVE_BOUND
    │   ├── BindingLimit                    E_FAMILY_LIMIT
    │   ├── PairRevoked [409]               E_FAMILY_REVOKED (revoked for fraud: not again)
    │   ├── FraudCaseOpen [409]             E_FAMILY_CASE_OPEN (a party's fraud case is open)
    │   ├── RecoveryExceedsOwed             E_FAMILY_RECOVERY_EXCEEDS (collected > outstanding)
    │   ├── BindingRuleNotInForce           E_FAMILY_RULE_NOT_IN_FORCE (before the rule's date)
    │   ├── FundingModelMismatch            E_FAMILY_MODEL (e.g. 共济账户划拨 under 'direct')
    │   └── UseNotAllowed                   E_FAMILY_USE (the profile does not allow this use)
    ├── SettlementRefusal [422]             E_SETL: the national interface refuses (SPEC §5)
    │   ├── UnknownTransaction              E_SETL_INFNO (infno not offered)
    │   ├── MessageIdReused [409]           E_SETL_MSGID (same msgid, different request)
    │   ├── WrongInstitution [403]          E_SETL_INSTITUTION (not the signed-in institution's)
    │   ├── PersonUnknown                   E_SETL_PERSON (no such insured person)
    │   ├── CredentialMismatch [403]        E_SETL_CREDENTIAL (就诊凭证 is someone else's)
    │   ├── CredentialInvalid               E_SETL_CREDENTIAL_INVALID (医保码 forged/expired/used)
    │   ├── NotInsured                      E_SETL_NOT_INSURED (insutype not in normal status)
    │   ├── VisitUnknown                    E_SETL_VISIT (no such mdtrt_id for this person)
    │   ├── VisitCancelled                  E_SETL_VISIT_CANCELLED
    │   ├── AmountsMismatch                 E_SETL_AMOUNTS (parts ≠ total, or ≠ uploaded details)
    │   ├── FeeDetailInvalid                E_SETL_FEE (a fee line is wrong)
    │   ├── NoBenefitRule                   E_SETL_NO_RULE (no rule for insutype × med_type)
    │   ├── PrescriptionRequired            E_SETL_PRESCRIPTION (外配处方 missing or not valid)
    │   ├── OffsiteChronicRefused           E_SETL_OFFSITE_CHRONIC (跨省门诊慢特病 without 备案/认定)
    │   ├── AlreadySettled [409]            E_SETL_SETTLED (the visit's batch is settled already)
    │   ├── AlreadyCancelled [409]          E_SETL_CANCELLED (a second cancel)
    │   ├── ReversalTargetUnknown           E_SETL_REVERSAL (2601: nothing to reverse)
    │   └── FileUnknown                     E_SETL_FILE (9102/3202: no such file)
    ├── ResidentRefusal [422]               E_RESIDENT: a resident-insurance rule refuses (SPEC §6)
    │   ├── SubsidyUnknown                  E_RESIDENT_SUBSIDY_UNKNOWN (code not in the profile)
    │   ├── OutsideCollectionWindow         E_RESIDENT_OUTSIDE_WINDOW (not in a 缴费期)
    │   │   └── LatePaymentYear             E_RESIDENT_LATE_YEAR (中途参保 only for the current year)
    │   ├── TaxAcceptanceTimeOutOfTolerance E_RESIDENT_TAX_ACCEPTED_AT (受理时间 too far from the clock)
    │   ├── NoPremiumStandard               E_RESIDENT_NO_STANDARD (no premium for that year)
    │   ├── PremiumAmountMismatch           E_RESIDENT_AMOUNT (paid ≠ due)
    │   ├── PremiumAlreadyPaid [409]        E_RESIDENT_ALREADY_PAID (the year is paid already)
    │   ├── PremiumNotPaid                  E_RESIDENT_NOT_PAID (nothing paid to refund)
    │   ├── RefundReasonNotAllowed          E_RESIDENT_REFUND_REASON (not a 退费 reason here)
    │   ├── RefundAfterBenefitStart         E_RESIDENT_REFUND_BENEFIT_STARTED (待遇期已开始)
    │   ├── RefundDeadlinePassed            E_RESIDENT_REFUND_DEADLINE (after 退费截止时间)
    │   ├── BuybackNotAllowed               E_RESIDENT_BUYBACK (more months than may be bought off)
    │   ├── PremiumPersonUnknown            E_RESIDENT_PERSON_UNKNOWN (代缴: payer or relative unknown)
    │   ├── PremiumInsutypeNotAllowed       E_RESIDENT_INSUTYPE (代缴: not a premium the family fund pays)
    │   ├── PremiumRelativeNotEnrolled      E_RESIDENT_NOT_ENROLLED (代缴: no normal 390 in the province)
    │   ├── PremiumNoBinding                E_RESIDENT_NO_BINDING (代缴: no binding where one is required)
    │   ├── PremiumInsufficientFunds        E_RESIDENT_INSUFFICIENT_FUNDS (代缴: family funds short; nothing debited)
    │   └── EnrollmentFormRefusal           E_RESIDENT_FORM: 附件1–3 登记表 refused (seed 002 §五)
    │       ├── IdentityAgeMismatch         E_RESIDENT_IDENTITY_AGE (申请人身份 vs birth date)
    │       ├── SignatureMissing            E_RESIDENT_SIGNATURE (签字 / 签字日期 / who signs)
    │       ├── DeclarationOutdated         E_RESIDENT_DECLARATION (not the current 声明 version)
    │       ├── IdFactsMismatch             E_RESIDENT_ID_MISMATCH (sex or birth date ≠ ID number)
    │       ├── NameMismatch                E_RESIDENT_NAME_MISMATCH (ID registered under another name)
    │       ├── SchoolRegionMissing         E_RESIDENT_SCHOOL_REGION (大学生 without 学籍地)
    │       ├── DuplicateEnrollment [409]   E_RESIDENT_DUPLICATE_ENROLLMENT (live 310/390 exists)
    │       ├── NotADuplicate               E_RESIDENT_NOT_DUPLICATE (nothing to clear)
    │       ├── FormPending [409]           E_RESIDENT_PENDING (a form of the kind is pending)
    │       ├── ChangeNoop                  E_RESIDENT_CHANGE_NOOP (变更后 = 变更前)
    │       ├── ChangeStale [409]           E_RESIDENT_CHANGE_STALE (record changed since filling)
    │       ├── CertInUse [409]             E_RESIDENT_CERT_IN_USE (new ID number is someone else's)
    │       ├── StopDateInvalid             E_RESIDENT_STOP_DATE (future, or before the enrollment)
    │       ├── StopDestinationInvalid      E_RESIDENT_STOP_DESTINATION (流出 without a valid 流入地)
    │       ├── StopReasonInvalid           E_RESIDENT_STOP_REASON (毕业离校 for a non-student)
    │       └── GraduateStillCovered        E_RESIDENT_GRADUATE_COVERED (毕业生 covered to 31 Dec)
    ├── PrescriptionRefusal [422]           E_RX: an external prescription (外配处方) refused (seed 004)
    │   ├── RxCenterNotLive                 E_RX_CENTER_NOT_LIVE (upload where no 电子处方中心 is live)
    │   ├── RxCenterRequired                E_RX_CENTER_REQUIRED (paper/HIS issue where the centre is live)
    │   ├── RxLinesInvalid                  E_RX_LINES (no drug lines, unknown drug, bad quantity)
    │   ├── RxOverQuantity                  E_RX_OVER_QUANTITY (days above the limit, more than prescribed)
    │   ├── RxUnknown [404]                 E_RX_UNKNOWN (no such number, or not yours to see)
    │   ├── RxOtherRegion                   E_RX_OTHER_REGION (issuer outside the pharmacy's pooling region)
    │   ├── RxNotUsable [409]               E_RX_STATE (expired, revoked, dispensed or refused already)
    │   ├── RxPhysicianCode                 E_RX_PHYSICIAN (医保医师代码 missing, malformed or not the issuer's)
    │   ├── RxStampMissing                  E_RX_STAMP (paper without 外配处方专用章)
    │   ├── RxNotConfirmed                  E_RX_NOT_CONFIRMED (pharmacy did not confirm code and stamp)
    │   ├── RxNotFetched [403]              E_RX_NOT_FETCHED (the pharmacy did not fetch it by number)
    │   └── RxDuplicate [409]               E_RX_DUPLICATE (the hospital's rxno was uploaded already)
    ├── ReimbursementRefusal [422]          E_REIMBURSE: 零星报销 refused (seed 003 附件二(四))
    │   ├── ReimbursementInvoiceInvalid     E_REIMBURSE_INVOICE (number, institution, date or amount wrong)
    │   ├── ReimbursementInvoiceDuplicate [409] E_REIMBURSE_INVOICE_DUPLICATE (invoice already claimed)
    │   ├── ReimbursementFeesInvalid        E_REIMBURSE_FEES (fee list: item, quantity, price, amount)
    │   ├── ReimbursementAmountsMismatch    E_REIMBURSE_AMOUNTS (fee list total ≠ invoices total)
    │   └── ReimbursementStale [409]        E_REIMBURSE_STALE (balances or accumulators moved since computed)
    ├── OffsiteRefusal [422]                E_OFFSITE: 异地就医备案 or 门诊慢特病认定 refused (seed 001 二、三)
    │   ├── OffsiteNotInsured               E_OFFSITE_NOT_INSURED (no normal enrollment to register from)
    │   ├── OffsiteKindNotEligible          E_OFFSITE_KIND (e.g. 异地安置退休 for a non-retiree)
    │   ├── OffsiteMaterialsMissing         E_OFFSITE_MATERIALS (ID, form, or the kind's proof/承诺书)
    │   ├── OffsiteDestinationInvalid       E_OFFSITE_DESTINATION (unknown, or inside the insured region)
    │   ├── OffsiteDatesInvalid             E_OFFSITE_DATES (start/end outside the kind's validity)
    │   ├── OffsiteLateNotAllowed           E_OFFSITE_LATE (补办 only before discharge)
    │   ├── OffsiteOverlap [409]            E_OFFSITE_OVERLAP (another registration covers those days)
    │   ├── OffsiteChangeTooEarly           E_OFFSITE_TOO_EARLY (long-term: before the minimum period)
    │   ├── ChronicOrganInvalid             E_CHRONIC_ORGAN (transplant without a listed organ, or vice versa)
    │   └── ChronicDuplicate [409]          E_CHRONIC_DUPLICATE (a pending or valid recognition exists)
    ├── OneThingRefusal [422]               E_ONETHING: 就医费用报销"一件事" refused as a whole (seed 001)
    │   ├── OneThingNotOffered              E_ONETHING_NOT_OFFERED (the profile has no [onething])
    │   ├── OneThingTooManyMaterials        E_ONETHING_MATERIALS (more than 3 materials)
    │   ├── OneThingVisitLimit [409]        E_ONETHING_VISITS (a second visit; a visit online)
    │   └── OneThingCommitmentInvalid       E_ONETHING_COMMITMENT (承诺书 not signed with one's name)
    └── CollectionRefusal [422]             E_COLLECTION: township collection (issue 16 §3–§4)
        ├── NothingToRemit [409]            E_COLLECTION_NOTHING_TO_REMIT (no unremitted cash)
        ├── FailedPaymentMismatch [409]     E_COLLECTION_RESOLUTION (contradicts the premium records)
        └── TownshipUnknown [404]           E_COLLECTION_TOWNSHIP (unknown or outside the scope)

The codes are stable API: clients switch on ``code``; the messages may be reworded.
"""

from __future__ import annotations

from typing import Any


class GongjiError(Exception):
    """Base of every error a client can receive."""

    http_status = 400
    code = "E_GONGJI"
    message_zh = "请求无法处理"
    message_en = "The request cannot be processed"

    def __init__(
        self,
        message_zh: str | None = None,
        message_en: str | None = None,
        *,
        code: str | None = None,
        **detail: Any,
    ) -> None:
        self.message_zh = message_zh or type(self).message_zh
        self.message_en = message_en or type(self).message_en
        if code is not None:
            self.code = code
        self.detail = detail
        super().__init__(f"{self.code}: {self.message_zh} / {self.message_en}")

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message_zh,
            "message_en": self.message_en,
        }
        if self.detail:
            body["detail"] = self.detail
        return body


class InvalidInput(GongjiError):
    http_status = 422
    code = "E_INPUT"
    message_zh = "输入有误"
    message_en = "Invalid input"


class InvalidIdNumber(InvalidInput):
    code = "E_ID_FORMAT"
    message_zh = "身份证号码格式错误，应为18位（最后一位可为X）"
    message_en = "Malformed identity number: 18 characters, the last may be X"


class IdChecksumMismatch(InvalidIdNumber):
    code = "E_ID_CHECKSUM"
    message_zh = "身份证号码校验位错误"
    message_en = "Identity number check digit is wrong"


class IdBirthDateInvalid(InvalidIdNumber):
    code = "E_ID_BIRTHDATE"
    message_zh = "身份证号码中的出生日期不存在或晚于今天"
    message_en = "Birth date in the identity number does not exist or is in the future"


class IdRegionUnknown(InvalidIdNumber):
    code = "E_ID_REGION"
    message_zh = "身份证号码前六位不是有效的行政区划代码"
    message_en = "The first six digits are not a known administrative division code"


class InvalidAmount(InvalidInput):
    code = "E_AMOUNT"
    message_zh = "金额必须是正整数（单位：分）"
    message_en = "Amount must be a positive whole number of fen"


class UnknownCode(InvalidInput):
    code = "E_UNKNOWN_CODE"
    message_zh = "代码不存在"
    message_en = "Unknown code"


class InvalidRequest(InvalidInput):
    code = "E_VALIDATION"
    message_zh = "请求参数校验失败"
    message_en = "Request validation failed"


class UnsupportedMediaType(InvalidInput):
    http_status = 415
    code = "E_CONTENT_TYPE"
    message_zh = "请求内容类型不支持，请使用 application/json"
    message_en = "Unsupported content type; send application/json"


class PayloadTooLarge(InvalidInput):
    """The body is larger than the route allows (1 MB for the API; see entrypoints/api/guard.py)."""

    http_status = 413
    code = "E_TOO_LARGE"
    message_zh = "请求体过大"
    message_en = "Request body too large"


class ServiceUnavailable(GongjiError):
    """The database cannot be reached (outage, restart); nothing was done, the client may retry."""

    http_status = 503
    code = "E_UNAVAILABLE"
    message_zh = "系统暂时不可用，请稍后重试"
    message_en = "Service temporarily unavailable; please retry shortly"


class AuthError(GongjiError):
    http_status = 401
    code = "E_AUTH_REQUIRED"
    message_zh = "请先登录"
    message_en = "Authentication required"


class Forbidden(GongjiError):
    http_status = 403
    code = "E_FORBIDDEN"
    message_zh = "无权进行此操作"
    message_en = "Not allowed"


class BadCredentials(AuthError):
    code = "E_AUTH_INVALID"
    message_zh = "用户名或密码错误"
    message_en = "Wrong user name or password"


class TokenExpired(AuthError):
    code = "E_TOKEN_EXPIRED"
    message_zh = "登录已过期，请重新登录"
    message_en = "Session expired; log in again"


class ResetCodeInvalid(AuthError):
    code = "E_AUTH_RESET_CODE"
    message_zh = "重置码无效、已使用或已过期，请到经办窗口重新获取"
    message_en = "The reset code is wrong, used or expired; ask the counter for a new one"


class LoginThrottled(GongjiError):
    """Too many failed logins for the account or the client address: locked until a time
    (``detail.retry_at``); the HTTP answer carries ``Retry-After``."""

    http_status = 429
    code = "E_AUTH_THROTTLED"
    message_zh = "登录失败次数过多，请稍后再试"
    message_en = "Too many failed logins; try again later"


class WeakPassword(InvalidRequest):
    code = "E_PASSWORD_WEAK"
    message_zh = "新密码须为8-128个字符，同时包含字母和数字，且不能包含用户名、不能与原密码相同"
    message_en = "New password: 8-128 characters with letters and digits, not containing the user name, not the old one"


class OldPasswordWrong(Forbidden):
    code = "E_PASSWORD_OLD"
    message_zh = "原密码不正确"
    message_en = "The current password is wrong"


class OutOfRegion(Forbidden):
    code = "E_OUT_OF_REGION"
    message_zh = "该人员不在您的经办区域内"
    message_en = "This person is outside your regions"


class FourEyesRequired(Forbidden):
    """Separation of duties (maker–checker): whoever entered a form, roster, refund or manual
    income cannot approve it; a second staff member must."""

    code = "E_FOUR_EYES"
    message_zh = "录入人不能审核自己录入的业务，须由另一名工作人员审核"
    message_en = "The clerk who entered this cannot approve it; a second staff member must"


class GatewayRefusal(AuthError):
    """The gateway refuses a signed request (docs/his-signing.md); nothing was read or written."""

    code = "E_GATEWAY"
    message_zh = "服务网关拒绝了请求"
    message_en = "The gateway refused the request"


class GatewayHeadersMissing(GatewayRefusal):
    code = "E_GATEWAY_HEADERS"
    message_zh = "缺少服务网关的请求头!"
    message_en = "Gateway headers missing or malformed"


class GatewayTimestamp(GatewayRefusal):
    code = "E_GATEWAY_TIMESTAMP"
    message_zh = "签名时间戳超时!"
    message_en = "The signature timestamp is outside the 5-minute window"


class GatewayUnknownKey(GatewayRefusal):
    code = "E_GATEWAY_KEY"
    message_zh = "非法用户!"
    message_en = "Unknown access key"


class GatewayKeyRevoked(GatewayRefusal):
    code = "E_GATEWAY_KEY_REVOKED"
    message_zh = "接入密钥已吊销或已轮换，请使用新密钥"
    message_en = "The access key was revoked or rotated; use the new key"


class GatewaySignature(GatewayRefusal):
    code = "E_GATEWAY_SIGNATURE"
    message_zh = "签名不一致!"
    message_en = "Signature mismatch"


class GatewayNonceReused(GatewayRefusal):
    code = "E_GATEWAY_NONCE"
    message_zh = "请求随机数(_api_nonce)已使用过，疑似重放，请求被拒绝"
    message_en = "The nonce was already used (replay); request refused"


class GatewayApiName(GatewayRefusal):
    code = "E_GATEWAY_API_NAME"
    message_zh = "请求头 _api_name 与报文 infno 不一致"
    message_en = "The _api_name header differs from the body's infno"


class GatewayHolderInactive(GatewayRefusal):
    http_status = 403
    code = "E_GATEWAY_SUSPENDED"
    message_zh = "定点医药机构协议已暂停或终止，不能调用接口"
    message_en = "The institution's agreement is suspended or ended"


class NotFound(GongjiError):
    http_status = 404
    code = "E_NOT_FOUND"
    message_zh = "记录不存在"
    message_en = "Not found"


class NoSuchRoute(NotFound):
    """No page or endpoint at this address (before any use case ran)."""

    code = "E_HTTP_404"
    message_zh = "页面或接口不存在"
    message_en = "No such page or endpoint"


class MethodNotAllowed(GongjiError):
    http_status = 405
    code = "E_HTTP_405"
    message_zh = "该地址不支持此请求方法"
    message_en = "Method not allowed at this address"


class InternalError(GongjiError):
    """An unexpected failure: details only in the (masked) log."""

    http_status = 500
    code = "E_INTERNAL"
    message_zh = "系统内部错误，请稍后重试"
    message_en = "Internal error; please retry later"


class Conflict(GongjiError):
    http_status = 409
    code = "E_CONFLICT"
    message_zh = "与现有记录冲突"
    message_en = "Conflicts with an existing record"


class IdempotencyConflict(Conflict):
    code = "E_IDEMPOTENCY_MISMATCH"
    message_zh = "同一幂等键已用于内容不同的请求"
    message_en = "This idempotency key was already used with a different request body"


class DuplicateRecord(Conflict):
    code = "E_DUPLICATE"
    message_zh = "记录已存在"
    message_en = "Record already exists"


class InvalidStateTransition(Conflict):
    code = "E_STATE"
    message_zh = "当前状态下不能进行此操作"
    message_en = "Not allowed in the current state"


class AccountingUnmapped(Conflict):
    """A ledger account (or account and kind) that no row of ``data/accounting/mapping.csv``
    maps to an accounting subject: vouchers are refused until it is mapped [seed 003 附件四]."""

    code = "E_ACCOUNTING_UNMAPPED"
    message_zh = "存在未对应会计科目的账户，请先补充科目对照表"
    message_en = "Ledger accounts without an accounting subject: add them to the mapping"


class LedgerError(GongjiError):
    http_status = 422
    code = "E_LEDGER"
    message_zh = "记账失败"
    message_en = "Ledger posting failed"


class UnbalancedTransaction(LedgerError):
    code = "E_LEDGER_UNBALANCED"
    message_zh = "借贷不平衡"
    message_en = "Postings do not sum to zero"


class InsufficientBalance(LedgerError):
    code = "E_INSUFFICIENT_BALANCE"
    message_zh = "账户余额不足"
    message_en = "Insufficient balance"


class AccountFrozen(LedgerError):
    code = "E_ACCOUNT_FROZEN"
    message_zh = "账户已冻结"
    message_en = "Account is frozen"


class PersonalMoneyToCash(LedgerError):
    """Personal-account and family mutual-aid money pays medical costs and premiums; it never
    becomes cash on a card — except a 零星报销 reimbursement that names its invoices."""

    code = "E_LEDGER_CASH_OUT"
    message_zh = "个人账户和家庭共济账户资金不得提取现金或转入银行卡（凭发票的零星报销除外）"
    message_en = "Personal or family account money cannot be paid out as cash (except an invoiced reimbursement)"


class FamilyRefusal(GongjiError):
    http_status = 422
    code = "E_FAMILY"
    message_zh = "不符合家庭共济规定"
    message_en = "Refused by a family mutual-aid rule"


class AgreementRequired(FamilyRefusal):
    code = "E_FAMILY_AGREEMENT"
    message_zh = "首次办理家庭共济，请先阅读并确认《家庭共济承诺协议》及问答"
    message_en = "First read and confirm the family mutual-aid agreement and Q&A"


class CommitmentInvalid(FamilyRefusal):
    code = "E_FAMILY_COMMITMENT"
    message_zh = "请阅读并签署当前版本的《家庭共济承诺书》（签名须为本人姓名）"
    message_en = "Sign the current commitment (承诺书) with your own name"


class AuthorizerNotEmployee(FamilyRefusal):
    code = "E_FAMILY_AUTHORIZER_NOT_EMPLOYEE"
    message_zh = "共济人须在本省正常参加职工基本医疗保险"
    message_en = "The authorizer must be insured in employee basic insurance in this province"


class AuthorizerSuspended(FamilyRefusal):
    code = "E_FAMILY_AUTHORIZER_SUSPENDED"
    message_zh = "共济人职工医保已暂停参保，恢复正常后方可办理"
    message_en = "The authorizer's employee insurance is suspended"


class AuthorizerInterrupted(FamilyRefusal):
    code = "E_FAMILY_AUTHORIZER_INTERRUPTED"
    message_zh = "共济人职工医保已断缴，恢复正常后方可办理"
    message_en = "The authorizer's employee insurance contributions are interrupted"


class AuthorizerAccountFrozen(FamilyRefusal):
    code = "E_FAMILY_AUTHORIZER_FROZEN"
    message_zh = "共济人个人账户状态异常（已冻结）"
    message_en = "The authorizer's personal account is frozen"


class AuthorizerNoBalance(FamilyRefusal):
    code = "E_FAMILY_AUTHORIZER_NO_BALANCE"
    message_zh = "共济人个人账户没有结余资金"
    message_en = "The authorizer's personal account has no balance"


class BindingRuleNotInForce(FamilyRefusal):
    """The profile's binding rule has not taken effect on this date (SPEC §4 item 1: rules carry
    their effective dates); the detail names the rule and its date."""

    code = "E_FAMILY_RULE_NOT_IN_FORCE"
    message_zh = "本省家庭共济绑定规则尚未施行，暂不能在线办理绑定"
    message_en = "The province's family binding rule is not yet in force"


class RelationNotAllowed(FamilyRefusal):
    code = "E_FAMILY_RELATION"
    message_zh = "亲属关系不在本省家庭共济范围内"
    message_en = "This relation kind is not allowed by the province's policy"


class SelfBinding(FamilyRefusal):
    code = "E_FAMILY_SELF"
    message_zh = "不能与本人建立家庭共济关系"
    message_en = "You cannot bind yourself"


class IdentityMismatch(FamilyRefusal):
    code = "E_FAMILY_IDENTITY"
    message_zh = "被共济人姓名与身份证号码不一致，请核对后重新填写"
    message_en = "The relative's name and identity number do not match; check and try again"


class TooManyAttempts(FamilyRefusal):
    http_status = 429
    code = "E_FAMILY_TOO_MANY_ATTEMPTS"
    message_zh = "姓名与身份证号码核验失败次数过多，请稍后再试"
    message_en = "Too many failed name checks; try again later"


class RelativeNotInsured(FamilyRefusal):
    code = "E_FAMILY_RELATIVE_NOT_INSURED"
    message_zh = "被共济人未参加基本医疗保险或参保状态不正常"
    message_en = "The relative has no basic insurance in normal status"


class RelativeOutOfProvince(FamilyRefusal):
    code = "E_FAMILY_RELATIVE_OUT_OF_PROVINCE"
    message_zh = "被共济人须在本省参保（家庭共济仅支持省内办理）"
    message_en = "The relative must be insured in this province"


class RelationImplausible(FamilyRefusal):
    code = "E_FAMILY_IMPLAUSIBLE"
    message_zh = "亲属关系与登记的出生日期不符"
    message_en = "The relation contradicts the registered birth dates"


class DuplicateBinding(FamilyRefusal):
    http_status = 409
    code = "E_FAMILY_DUPLICATE"
    message_zh = "已与该亲属建立家庭共济关系，无需重复绑定"
    message_en = "This relative is already bound"


class RelativeHasAuthorizer(FamilyRefusal):
    http_status = 409
    code = "E_FAMILY_RELATIVE_BOUND"
    message_zh = "该亲属已有其他共济人，本省规定一名被共济人只能有一名共济人"
    message_en = "This relative already has an authorizer; the province allows only one"


class BindingLimit(FamilyRefusal):
    code = "E_FAMILY_LIMIT"
    message_zh = "绑定的共济亲属人数已达上限"
    message_en = "The number of bound relatives has reached the limit"


class PairRevoked(FamilyRefusal):
    http_status = 409
    code = "E_FAMILY_REVOKED"
    message_zh = "该共济关系因违规已被医保部门终止，不能再次绑定"
    message_en = "This binding was revoked by the agency for fraud and cannot be made again"


class FraudCaseOpen(FamilyRefusal):
    """A party of the binding asked for has an open fraud case (seed 003 四(四) 立即停止相关当事人家庭共济待遇)."""

    http_status = 409
    code = "E_FAMILY_CASE_OPEN"
    message_zh = "当事人有尚未办结的违规家庭共济案件，案件办结前不能办理家庭共济绑定"
    message_en = "A party has an open family mutual-aid fraud case; no binding until it is closed"


class RecoveryExceedsOwed(FamilyRefusal):
    code = "E_FAMILY_RECOVERY_EXCEEDS"
    message_zh = "登记的追回金额超过尚未追回的金额"
    message_en = "The amount collected exceeds what is still owed"


class FundingModelMismatch(FamilyRefusal):
    code = "E_FAMILY_MODEL"
    message_zh = "本省家庭共济不采用该资金方式"
    message_en = "The province's family funding model does not offer this"


class UseNotAllowed(FamilyRefusal):
    code = "E_FAMILY_USE"
    message_zh = "家庭共济资金不能用于该项支付"
    message_en = "Family funds may not pay for this use under the province's policy"


class SettlementRefusal(GongjiError):
    http_status = 422
    code = "E_SETL"
    message_zh = "结算交易无法办理"
    message_en = "The settlement transaction cannot be processed"


class UnknownTransaction(SettlementRefusal):
    code = "E_SETL_INFNO"
    message_zh = "不支持的接口编号"
    message_en = "Unsupported transaction number (infno)"


class MessageIdReused(SettlementRefusal):
    http_status = 409
    code = "E_SETL_MSGID"
    message_zh = "发送方报文ID已使用，且报文内容不同"
    message_en = "This msgid was already used with a different request"


class WrongInstitution(SettlementRefusal):
    http_status = 403
    code = "E_SETL_INSTITUTION"
    message_zh = "定点医药机构编号与接入凭证不符，或业务不属于本机构"
    message_en = "The institution does not match the gateway key, or the record belongs to another institution"


class PersonUnknown(SettlementRefusal):
    code = "E_SETL_PERSON"
    message_zh = "未查询到该参保人员信息"
    message_en = "No insured person matches"


class CredentialMismatch(SettlementRefusal):
    """The 就诊凭证 belongs to another person than ``psn_no`` / ``certno`` / the visit. Nothing
    about either person is answered. ``attempts`` (not sent to the client) names the persons
    concerned, for the read history the interface writes after rolling back."""

    http_status = 403
    code = "E_SETL_CREDENTIAL"
    message_zh = "就诊凭证与人员编号不是同一人，请使用患者本人的医保凭证"
    message_en = "The medical credential belongs to someone else than psn_no"

    def __init__(self, *args: Any, attempts: tuple[int, ...] = (), cert_type: str | None = None, **detail: Any) -> None:
        super().__init__(*args, **detail)
        self.attempts = attempts
        self.cert_type = cert_type


class CredentialInvalid(SettlementRefusal):
    code = "E_SETL_CREDENTIAL_INVALID"
    message_zh = "就诊凭证无效，请患者出示本人有效的医保凭证"
    message_en = "The medical credential is not valid"


class NotInsured(SettlementRefusal):
    code = "E_SETL_NOT_INSURED"
    message_zh = "参保人该险种参保状态不正常，不能享受待遇"
    message_en = "The person is not in normal status for this insurance type"


class VisitUnknown(SettlementRefusal):
    code = "E_SETL_VISIT"
    message_zh = "就诊信息不存在"
    message_en = "No such visit (mdtrt_id) for this person"


class VisitCancelled(SettlementRefusal):
    code = "E_SETL_VISIT_CANCELLED"
    message_zh = "该就诊已撤销，不能结算"
    message_en = "The visit was cancelled and cannot be settled"


class AmountsMismatch(SettlementRefusal):
    code = "E_SETL_AMOUNTS"
    message_zh = "费用金额不平衡"
    message_en = "The amounts do not add up"


class FeeDetailInvalid(SettlementRefusal):
    code = "E_SETL_FEE"
    message_zh = "费用明细有误"
    message_en = "A fee detail line is invalid"


class NoBenefitRule(SettlementRefusal):
    code = "E_SETL_NO_RULE"
    message_zh = "该险种和医疗类别无待遇支付政策"
    message_en = "No benefit rule for this insurance type and medical category"


class PrescriptionRequired(SettlementRefusal):
    code = "E_SETL_PRESCRIPTION"
    message_zh = "处方药须凭本统筹地区定点医疗机构开具的有效外配处方"
    message_en = "Prescription drugs need a valid prescription from a designated institution of this pooling region"


class OffsiteChronicRefused(SettlementRefusal):
    """A 门诊慢特病 claim across provinces without the disease's code, a valid off-site
    registration and a valid recognition (seed 001 三); the message names what is missing."""

    code = "E_SETL_OFFSITE_CHRONIC"
    message_zh = "跨省门诊慢特病费用直接结算须有有效的异地就医备案和门诊慢特病认定"
    message_en = "A cross-province chronic-disease claim needs a valid off-site registration and recognition"


class AlreadySettled(SettlementRefusal):
    http_status = 409
    code = "E_SETL_SETTLED"
    message_zh = "该就诊（收费批次）已结算，不能重复结算；如需重新结算请先撤销原结算"
    message_en = "This visit (charge batch) is already settled; cancel that settlement first"


class AlreadyCancelled(SettlementRefusal):
    http_status = 409
    code = "E_SETL_CANCELLED"
    message_zh = "该结算已撤销，不能重复撤销"
    message_en = "This settlement was already cancelled"


class ReversalTargetUnknown(SettlementRefusal):
    code = "E_SETL_REVERSAL"
    message_zh = "原交易不存在或不能冲正"
    message_en = "The original transaction does not exist or cannot be reversed"


class FileUnknown(SettlementRefusal):
    code = "E_SETL_FILE"
    message_zh = "文件不存在或已过下载期限"
    message_en = "No such file, or its download period has ended"


class ResidentRefusal(GongjiError):
    http_status = 422
    code = "E_RESIDENT"
    message_zh = "不符合城乡居民医保参保缴费规定"
    message_en = "Refused by a resident-insurance rule"


class SubsidyUnknown(ResidentRefusal):
    code = "E_RESIDENT_SUBSIDY_UNKNOWN"
    message_zh = "参保资助类别不在本地资助政策范围内"
    message_en = "This subsidy category is not in the local subsidy policy"


class OutsideCollectionWindow(ResidentRefusal):
    code = "E_RESIDENT_OUTSIDE_WINDOW"
    message_zh = "当前不在城乡居民医保集中缴费期内"
    message_en = "This day is outside the resident-insurance collection window"


class LatePaymentYear(OutsideCollectionWindow):
    """Outside the window, and not the year a late payment (中途参保, notes §1.2) may be for."""

    code = "E_RESIDENT_LATE_YEAR"
    message_zh = "集中缴费期外参保缴费（中途参保）仅受理当年度的缴费"
    message_en = "A payment outside the collection window is accepted only for the current benefit year"


class TaxAcceptanceTimeOutOfTolerance(ResidentRefusal):
    """The tax bureau's acceptance time (受理时间) of a request is later than now, or earlier by
    more than the profile's tolerance (issue 14 §1): the window is not judged on it."""

    code = "E_RESIDENT_TAX_ACCEPTED_AT"
    message_zh = "税务受理时间与医保系统当前时间相差超出允许范围，请核对后重新提交"
    message_en = "The tax bureau's acceptance time is outside the tolerance around the current time"


class NoPremiumStandard(ResidentRefusal):
    code = "E_RESIDENT_NO_STANDARD"
    message_zh = "该待遇年度没有城乡居民医保缴费标准"
    message_en = "No resident premium standard for this benefit year"


class PremiumAmountMismatch(ResidentRefusal):
    code = "E_RESIDENT_AMOUNT"
    message_zh = "缴费金额与应缴金额不一致"
    message_en = "The amount paid differs from the amount due"


class PremiumAlreadyPaid(ResidentRefusal):
    http_status = 409
    code = "E_RESIDENT_ALREADY_PAID"
    message_zh = "该年度城乡居民医保费已缴纳，请勿重复缴费"
    message_en = "The resident premium for this year is already paid"


class FullSubsidyPaysNothing(ResidentRefusal):
    """002 §四(二)1: 全额资助对象…个人不再缴费 — no channel (tax 代缴, family account, bank, tax app,
    batch, window) takes their individual premium; the medical-assistance roster pays it."""

    code = "E_RESIDENT_FULL_SUBSIDY"
    message_zh = "该参保人为全额资助对象，个人不再缴费，由医疗救助资金全额资助"
    message_en = "This person is fully subsidised: they pay nothing; medical assistance pays the premium"


class PremiumNotPaid(ResidentRefusal):
    code = "E_RESIDENT_NOT_PAID"
    message_zh = "该年度未缴纳城乡居民医保费，无可退费用"
    message_en = "No resident premium was paid for this year; there is nothing to refund"


class RefundReasonNotAllowed(ResidentRefusal):
    code = "E_RESIDENT_REFUND_REASON"
    message_zh = "退费原因不在本地退费政策规定的范围内"
    message_en = "This refund reason is not allowed by the local policy"


class RefundAfterBenefitStart(ResidentRefusal):
    code = "E_RESIDENT_REFUND_BENEFIT_STARTED"
    message_zh = "待遇享受期开始后，个人缴费不再退回"
    message_en = "The benefit period has started; the individual premium is no longer refunded"


class RefundDeadlinePassed(ResidentRefusal):
    code = "E_RESIDENT_REFUND_DEADLINE"
    message_zh = "已超过本年度退费截止时间"
    message_en = "The refund deadline for this year has passed"


class RefundReasonUnproven(ResidentRefusal):
    """A refund reason the system's own records do not bear out (002 §七 退费 … 需提供相关证明)."""

    code = "E_RESIDENT_REFUND_UNPROVEN"
    message_zh = "退费原因与系统记录不符"
    message_en = "The refund reason is not borne out by the records"


class RefundNoEmployeeEnrollment(RefundReasonUnproven):
    code = "E_RESIDENT_REFUND_NO_EMPLOYEE_ENROLLMENT"
    message_zh = "系统中没有该人员有效的职工基本医疗保险参保记录，不能以「参加职工医保」退费"
    message_en = "No employee basic insurance enrollment is on record for this person"


class RefundNoDeathRecord(RefundReasonUnproven):
    code = "E_RESIDENT_REFUND_NO_DEATH_RECORD"
    message_zh = "系统中没有该人员的死亡记录（死亡停保或因死亡终止参保），不能以「死亡」退费"
    message_en = "No death is on record for this person"


class RefundEvidenceMissing(RefundReasonUnproven):
    code = "E_RESIDENT_REFUND_EVIDENCE"
    message_zh = "「跨省重复缴费」须由经办人员录入外省参保缴费凭证"
    message_en = "A cross-province duplicate needs the other province's evidence entered by staff"


class BuybackNotAllowed(ResidentRefusal):
    code = "E_RESIDENT_BUYBACK"
    message_zh = "申请缩短的变动待遇等待期超过可缩短的月数"
    message_en = "More waiting months asked to be bought off than may be"


class PremiumPersonUnknown(ResidentRefusal):
    code = "E_RESIDENT_PERSON_UNKNOWN"
    message_zh = "未查询到缴费人或被代缴人的参保登记信息"
    message_en = "The payer or the relative is not registered"


class PremiumInsutypeNotAllowed(ResidentRefusal):
    code = "E_RESIDENT_INSUTYPE"
    message_zh = "本省家庭共济资金不能代缴该险种保费"
    message_en = "Family funds may not pay this insurance type's premium in this province"


class PremiumRelativeNotEnrolled(ResidentRefusal):
    code = "E_RESIDENT_NOT_ENROLLED"
    message_zh = "被代缴人未在本省参加城乡居民基本医疗保险或参保状态不正常"
    message_en = "The relative is not enrolled in resident basic insurance in this province in normal status"


class PremiumNoBinding(ResidentRefusal):
    code = "E_RESIDENT_NO_BINDING"
    message_zh = "缴费人与被代缴人尚未建立家庭共济绑定关系，请先绑定或通过其他渠道缴费"
    message_en = "No active family binding between the payer and the relative"


class PremiumInsufficientFunds(ResidentRefusal):
    code = "E_RESIDENT_INSUFFICIENT_FUNDS"
    message_zh = "共济账户余额不足，未扣款，请通过其他渠道缴费"
    message_en = "The family funds do not cover the premium; nothing was debited"


# --- 附件1–3 登记表 (services.resident.forms; seed 002 §五) --------------------------------------


class EnrollmentFormRefusal(ResidentRefusal):
    code = "E_RESIDENT_FORM"
    message_zh = "城乡居民参保登记表不符合填报或审核要求"
    message_en = "The resident enrollment form does not meet the filing or review rules"


class IdentityAgeMismatch(EnrollmentFormRefusal):
    code = "E_RESIDENT_IDENTITY_AGE"
    message_zh = "申请人身份与出生日期不符"
    message_en = "The applicant identity contradicts the birth date"


class SignatureMissing(EnrollmentFormRefusal):
    code = "E_RESIDENT_SIGNATURE"
    message_zh = "缺少申请人或监护人签字或签字日期，或签字人不符合要求"
    message_en = "The signature or its date is missing, or the signer may not sign"


class DeclarationOutdated(EnrollmentFormRefusal):
    code = "E_RESIDENT_DECLARATION"
    message_zh = "声明文本已更新，请按当前版本重新签字"
    message_en = "The declaration text changed; sign the current version"


class IdFactsMismatch(EnrollmentFormRefusal):
    code = "E_RESIDENT_ID_MISMATCH"
    message_zh = "填写的性别或出生日期与身份证号码不一致"
    message_en = "The sex or birth date differs from the identity number"


class NameMismatch(EnrollmentFormRefusal):
    code = "E_RESIDENT_NAME_MISMATCH"
    message_zh = "该证件号码已登记在另一姓名下，请先办理信息变更（附件2）"
    message_en = "The number is registered under another name; file a change form first"


class SchoolRegionMissing(EnrollmentFormRefusal):
    code = "E_RESIDENT_SCHOOL_REGION"
    message_zh = "大学生须填写有效的学籍地（学校所在统筹区）"
    message_en = "A college student needs a valid school region"


class DuplicateEnrollment(EnrollmentFormRefusal):
    http_status = 409
    code = "E_RESIDENT_DUPLICATE_ENROLLMENT"
    message_zh = "该人员已有有效的职工或居民基本医疗保险参保记录（重复参保）"
    message_en = "The person has a live basic enrollment (duplicate enrollment)"


class NotADuplicate(EnrollmentFormRefusal):
    code = "E_RESIDENT_NOT_DUPLICATE"
    message_zh = "该参保记录不构成重复参保，不能按重复参保清理"
    message_en = "This enrollment is not part of a duplicate"


class FormPending(EnrollmentFormRefusal):
    http_status = 409
    code = "E_RESIDENT_PENDING"
    message_zh = "已有待审核的同类登记表"
    message_en = "A form of this kind is already pending"


class ChangeNoop(EnrollmentFormRefusal):
    code = "E_RESIDENT_CHANGE_NOOP"
    message_zh = "变更后与变更前相同"
    message_en = "The change changes nothing"


class ChangeStale(EnrollmentFormRefusal):
    http_status = 409
    code = "E_RESIDENT_CHANGE_STALE"
    message_zh = "登记信息已在填表后发生变化，请重新填写变更登记表"
    message_en = "The record changed since the form was filled"


class CertInUse(EnrollmentFormRefusal):
    http_status = 409
    code = "E_RESIDENT_CERT_IN_USE"
    message_zh = "新的证件号码已登记在其他人员名下"
    message_en = "The new number belongs to another person"


class StopDateInvalid(EnrollmentFormRefusal):
    code = "E_RESIDENT_STOP_DATE"
    message_zh = "停保（流出）日期不能晚于今天，也不能早于参保开始日期"
    message_en = "The stop date is in the future or before the enrollment began"


class StopDestinationInvalid(EnrollmentFormRefusal):
    code = "E_RESIDENT_STOP_DESTINATION"
    message_zh = "流出须填写有效且不同于原参保地的流入地；只有流出可以转移参保关系"
    message_en = "An outflow needs a valid other destination; only an outflow transfers"


class StopReasonInvalid(EnrollmentFormRefusal):
    code = "E_RESIDENT_STOP_REASON"
    message_zh = "停保原因与人员情况不符（毕业离校仅适用于大学生）"
    message_en = "The stop reason does not fit the person (graduation: college students only)"


class GraduateStillCovered(EnrollmentFormRefusal):
    code = "E_RESIDENT_GRADUATE_COVERED"
    message_zh = "在校期间参保的大学生毕业后待遇享受到当年12月31日，此前不能停保"
    message_en = "A graduate insured as a student is covered until 31 December of the graduation year"


# --- off-site care registration and chronic diseases (异地就医备案, 门诊慢特病; seed 001 二、三) ----------


class OffsiteRefusal(GongjiError):
    """A 即办件 refused at once: the reason is the code and the message (seed 001 二、三)."""

    http_status = 422
    code = "E_OFFSITE"
    message_zh = "不符合异地就医备案或门诊慢特病认定规定"
    message_en = "Refused by an off-site registration or chronic-disease rule"


class OffsiteNotInsured(OffsiteRefusal):
    code = "E_OFFSITE_NOT_INSURED"
    message_zh = "该人员没有正常参保的基本医疗保险，不能办理异地就医备案或门诊慢特病认定"
    message_en = "No basic medical insurance in normal status"


class OffsiteKindNotEligible(OffsiteRefusal):
    code = "E_OFFSITE_KIND"
    message_zh = "备案类型与人员情况不符"
    message_en = "This registration kind does not fit the person"


class OffsiteMaterialsMissing(OffsiteRefusal):
    code = "E_OFFSITE_MATERIALS"
    message_zh = "办理材料不全"
    message_en = "Materials missing"


class OffsiteDestinationInvalid(OffsiteRefusal):
    code = "E_OFFSITE_DESTINATION"
    message_zh = "就医地无效：须为参保统筹区以外的省、市或区县"
    message_en = "The destination must be a known region outside the insured pooling region"


class OffsiteDatesInvalid(OffsiteRefusal):
    code = "E_OFFSITE_DATES"
    message_zh = "备案开始或结束日期不符合该备案类型的有效期规定"
    message_en = "Start or end date outside the validity rules of this kind"


class OffsiteLateNotAllowed(OffsiteRefusal):
    code = "E_OFFSITE_LATE"
    message_zh = "补办备案须在出院前办理"
    message_en = "A late registration is possible only before discharge"


class OffsiteOverlap(OffsiteRefusal):
    http_status = 409
    code = "E_OFFSITE_OVERLAP"
    message_zh = "该人员已有覆盖这段时间的异地就医备案，请先变更或取消"
    message_en = "Another registration covers these days; change or cancel it first"


class OffsiteChangeTooEarly(OffsiteRefusal):
    code = "E_OFFSITE_TOO_EARLY"
    message_zh = "长期异地就医备案须满规定期限后才能变更或取消"
    message_en = "A long-term registration may be changed or cancelled only after the minimum period"


class OffsiteNotBound(Forbidden):
    code = "E_OFFSITE_NOT_BOUND"
    message_zh = "只能为已绑定家庭共济关系的亲属代办"
    message_en = "Only for a relative bound to you in family mutual aid"


class ChronicOrganInvalid(OffsiteRefusal):
    code = "E_CHRONIC_ORGAN"
    message_zh = "器官移植抗排异治疗须选择移植器官，其他病种不填写器官"
    message_en = "The transplant treatment needs a listed organ; other diseases take none"


class ChronicDuplicate(OffsiteRefusal):
    http_status = 409
    code = "E_CHRONIC_DUPLICATE"
    message_zh = "该病种已有待审核或有效的认定"
    message_en = "A pending or valid recognition of this disease exists"


class OneThingRefusal(GongjiError):
    """就医费用报销"一件事" refused as a whole (seed 001); nothing is written. A part refused
    inside an accepted case is not an error: the part carries its reason."""

    http_status = 422
    code = "E_ONETHING"
    message_zh = "不符合就医费用报销一件事的办理规定"
    message_en = "Refused by a rule of the one-thing service"


class OneThingNotOffered(OneThingRefusal):
    code = "E_ONETHING_NOT_OFFERED"
    message_zh = "本省未开通就医费用报销一件事"
    message_en = "This province does not offer the one-thing service"


class OneThingTooManyMaterials(OneThingRefusal):
    code = "E_ONETHING_MATERIALS"
    message_zh = "一件事联办最多提交3份材料，相同材料不重复提交"
    message_en = "At most the profile's number of materials (3) per one-thing application"


class OneThingVisitLimit(OneThingRefusal):
    http_status = 409
    code = "E_ONETHING_VISITS"
    message_zh = "一件事联办最多跑一次，网上办理无需到场"
    message_en = "At most one visit per case, none for an online application"


class OneThingCommitmentInvalid(OneThingRefusal):
    code = "E_ONETHING_COMMITMENT"
    message_zh = "请阅读承诺书并以本人姓名签署（承诺件）"
    message_en = "Sign the commitment with your own name (承诺件)"


class CollectionRefusal(GongjiError):
    """A rule of township collection (征缴, seed 002 §六、§八; issue 16 §3–§4) refuses."""

    http_status = 422
    code = "E_COLLECTION"
    message_zh = "不符合乡镇征缴工作的办理规定"
    message_en = "Refused by a rule of township collection"


class NothingToRemit(CollectionRefusal):
    http_status = 409
    code = "E_COLLECTION_NOTHING_TO_REMIT"
    message_zh = "本乡镇（街道）没有未解报的现金费款"
    message_en = "The township holds no unremitted cash"


class FailedPaymentMismatch(CollectionRefusal):
    http_status = 409
    code = "E_COLLECTION_RESOLUTION"
    message_zh = "处理结果与医保系统中的缴费记录不符"
    message_en = "The resolution contradicts the premium records"


class TownshipUnknown(CollectionRefusal):
    http_status = 404
    code = "E_COLLECTION_TOWNSHIP"
    message_zh = "乡镇（街道）不存在或不在您的管辖范围内"
    message_en = "Unknown township, or outside your scope"


# --- external prescriptions (外配处方, seed 004) ---------------------------------------------------


class PrescriptionRefusal(GongjiError):
    http_status = 422
    code = "E_RX"
    message_zh = "外配处方不符合规定"
    message_en = "Refused by an external-prescription rule"


class RxCenterNotLive(PrescriptionRefusal):
    code = "E_RX_CENTER_NOT_LIVE"
    message_zh = "本统筹地区暂未上线医保电子处方中心，请开具经医保医师签名并加盖外配处方专用章的纸质处方"
    message_en = "No e-prescription centre is live in this pooling region; issue a signed and stamped paper one"


class RxCenterRequired(PrescriptionRefusal):
    code = "E_RX_CENTER_REQUIRED"
    message_zh = "该统筹地区已上线医保电子处方中心，外配处方须通过电子处方中心流转（纸质处方凭处方编号取药）"
    message_en = (
        "The centre is live in this pooling region: external prescriptions go through it (a printed one by its number)"
    )


class RxLinesInvalid(PrescriptionRefusal):
    code = "E_RX_LINES"
    message_zh = "处方药品明细有误"
    message_en = "The prescription's drug lines are invalid"


class RxOverQuantity(PrescriptionRefusal):
    code = "E_RX_OVER_QUANTITY"
    message_zh = "处方超量：用药天数超过规定或调剂数量超过处方数量"
    message_en = "Over quantity: days supply above the limit, or more than prescribed"


class RxUnknown(PrescriptionRefusal):
    http_status = 404
    code = "E_RX_UNKNOWN"
    message_zh = "处方不存在或无权查看"
    message_en = "No such prescription, or not yours to see"


class RxOtherRegion(PrescriptionRefusal):
    code = "E_RX_OTHER_REGION"
    message_zh = "暂不接受本统筹地区以外医疗机构的外配处方"
    message_en = "Prescriptions from outside this pooling region are not accepted"


class RxNotUsable(PrescriptionRefusal):
    http_status = 409
    code = "E_RX_STATE"
    message_zh = "处方已失效、已撤销或已调剂，不能调剂"
    message_en = "The prescription expired, was revoked or was already dispensed"


class RxPhysicianCode(PrescriptionRefusal):
    code = "E_RX_PHYSICIAN"
    message_zh = "医保医师代码缺失、格式错误或与开方机构记录不符"
    message_en = "The physician's medical-insurance code is missing, malformed or not the issuer's record"


class RxStampMissing(PrescriptionRefusal):
    code = "E_RX_STAMP"
    message_zh = "纸质外配处方须加盖开方机构外配处方专用章"
    message_en = "A paper external prescription needs the issuer's external-prescription stamp"


class RxNotConfirmed(PrescriptionRefusal):
    code = "E_RX_NOT_CONFIRMED"
    message_zh = "调剂前须核对并确认医保医师代码和外配处方专用章"
    message_en = "Confirm the physician's code and the stamp before dispensing"


class RxNotFetched(PrescriptionRefusal):
    http_status = 403
    code = "E_RX_NOT_FETCHED"
    message_zh = "本药店未按处方编号调取该处方"
    message_en = "This pharmacy has not fetched the prescription by its number"


class RxDuplicate(PrescriptionRefusal):
    http_status = 409
    code = "E_RX_DUPLICATE"
    message_zh = "该处方号已上传"
    message_en = "This prescription number was already uploaded"


# --- small reimbursements (零星报销, seed 003 附件二(四)) ------------------------------------------


class ReimbursementRefusal(GongjiError):
    """A rule of 零星报销 (a person who paid in cash claims with invoices) refuses."""

    http_status = 422
    code = "E_REIMBURSE"
    message_zh = "零星报销申请不符合规定"
    message_en = "Refused by a small-reimbursement rule"


class ReimbursementInvoiceInvalid(ReimbursementRefusal):
    code = "E_REIMBURSE_INVOICE"
    message_zh = "发票信息有误：须填写发票号码、开票机构、开票日期（不晚于今天）和正数金额"
    message_en = "Invoice invalid: number, issuing institution, date (not in the future) and a positive amount"


class ReimbursementInvoiceDuplicate(ReimbursementRefusal):
    http_status = 409
    code = "E_REIMBURSE_INVOICE_DUPLICATE"
    message_zh = "发票号码重复：该发票已在报销申请中使用，不能重复报销"
    message_en = "Duplicate invoice: this invoice number is already claimed"


class ReimbursementFeesInvalid(ReimbursementRefusal):
    code = "E_REIMBURSE_FEES"
    message_zh = "费用清单有误：须列明目录项目、数量、单价和金额（金额=数量×单价）"
    message_en = "Fee list invalid: catalogue item, quantity, unit price and amount (= quantity × price)"


class ReimbursementAmountsMismatch(ReimbursementRefusal):
    code = "E_REIMBURSE_AMOUNTS"
    message_zh = "费用清单合计与发票金额合计不符"
    message_en = "The fee list's total differs from the invoices' total"


class ReimbursementStale(ReimbursementRefusal):
    http_status = 409
    code = "E_REIMBURSE_STALE"
    message_zh = "核算后账户余额或年度累计已发生变化，请重新核算后再审核"
    message_en = "Balances or yearly accumulators changed since the benefit was computed; compute it again"


def all_error_classes() -> list[type[GongjiError]]:
    """Every error class, for the documented error list (/api/errors, docs/errors.md)."""
    seen: list[type[GongjiError]] = []
    stack: list[type[GongjiError]] = [GongjiError]
    while stack:
        cls = stack.pop(0)
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen
