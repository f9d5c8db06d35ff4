"""Request bodies of the JSON API; sizes are limited and amounts are strict integers (fen)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Fen = Annotated[StrictInt, Field(gt=0, le=10_000_000_000, description="金额（分），正整数")]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", description="6位行政区划/医保区划代码")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Body):
    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=128)


class PasswordChangeIn(Body):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class PasswordResetIn(Body):
    username: str = Field(min_length=1, max_length=50)
    code: str = Field(min_length=1, max_length=40, description="经办窗口给出的一次性重置码")
    new_password: str = Field(min_length=1, max_length=128)


class ResetCodeIn(Body):
    person_id: int = Field(ge=1, lt=2**63)


class EmployerIn(Body):
    code: str = Field(min_length=18, max_length=18, description="统一社会信用代码")
    name: str = Field(min_length=1, max_length=100)
    region_code: RegionCode


class PersonIn(Body):
    cert_type: str = Field(default="01", max_length=6, description="证件类型 psn_cert_type，01=居民身份证")
    cert_no: str = Field(min_length=1, max_length=50)
    name: str = Field(min_length=1, max_length=50)
    sex: str | None = Field(default=None, max_length=1, description="非身份证时必填：1男 2女 9未说明")
    birth_date: date | None = None
    phone: str | None = Field(default=None, max_length=20)
    hukou_region: RegionCode | None = None


class EnrollmentIn(Body):
    insutype: str = Field(max_length=6, description="310职工基本医疗保险 / 390城乡居民基本医疗保险 / 392大病")
    region_code: RegionCode
    psn_type: str = Field(max_length=10)
    start_date: date
    employer_code: str | None = Field(default=None, max_length=18)
    ssc_no: str | None = Field(default=None, max_length=20, description="社会保障卡卡号 (就诊凭证 03)")


class EnrollmentChangeIn(Body):
    effective_date: date
    reason: str | None = Field(default=None, max_length=200)
    to_region: RegionCode | None = None


class IncomeIn(Body):
    month: str = Field(pattern=r"^\d{4}-\d{2}$")
    kind: str = Field(max_length=30, description="employee_contribution / retiree_credit")
    amount_fen: Fen


class RolloverIn(Body):
    year: int = Field(ge=2000, le=2100)


class ReasonIn(Body):
    reason: str = Field(min_length=2, max_length=200)


# --- family mutual aid (家庭共济) -------------------------------------------------------------------

FamilyFen = Annotated[
    StrictInt,
    Field(description="金额（分），整数；0、负数或超过上限由业务规则拒绝（E_AMOUNT），小数或字符串 → E_VALIDATION"),
]
"""Whole fen only (a float or a string is a 422 E_VALIDATION); the use case answers E_AMOUNT
for 0, a negative amount or one above the limit, the same code as every money use case."""


class FamilyAgreementIn(Body):
    version: str = Field(min_length=1, max_length=20, description="所确认的《家庭共济承诺协议》版本")


class FamilyCommitmentIn(Body):
    version: str = Field(min_length=1, max_length=20, description="所签署的《家庭共济承诺书》版本")
    signed: bool = Field(strict=True, description="已阅读并签署承诺书（true/false，不接受字符串）")
    signature: str = Field(max_length=50, description="签名：共济人本人姓名")


class FamilyBindIn(Body):
    relative_name: str = Field(min_length=1, max_length=50, description="被共济人姓名")
    relative_cert_no: str = Field(min_length=1, max_length=50, description="被共济人居民身份证号码")
    relation: str = Field(min_length=1, max_length=30, description="亲属关系：spouse / parent / child / sibling ...")
    commitment: FamilyCommitmentIn


class FamilyUnbindIn(Body):
    reason: str | None = Field(default=None, max_length=200)


class FamilyAllocationIn(Body):
    amount_fen: FamilyFen


class FamilyRevokeIn(Body):
    reason: str = Field(min_length=2, max_length=200)
    liable: Literal["both", "authorizer", "relative"] = Field(
        "both", description="追回责任人：both 共济人和被共济人 / authorizer 共济人 / relative 被共济人"
    )


class FamilyCollectionIn(Body):
    amount_fen: FamilyFen
    note: str | None = Field(None, max_length=200, description="收款凭证号等备注")


class FamilyPaymentIn(Body):
    cert_no: str = Field(min_length=1, max_length=50, description="患者居民身份证号码")
    amount_fen: FamilyFen
    use: str = Field(min_length=1, max_length=30, description="outpatient / inpatient / pharmacy_drugs / ...")


class ErrorBody(BaseModel):
    """The body of every refusal (4xx/5xx), as ``domain.errors.GongjiError.to_dict`` writes it."""

    code: str = Field(description="稳定的错误码，如 E_VALIDATION；完整列表见 /api/errors")
    message: str = Field(description="中文说明")
    message_en: str = Field(description="English message")
    detail: dict[str, Any] | None = Field(default=None, description="附加信息（字段名等），可缺省")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        401: "未登录或登录已过期 (E_AUTH_REQUIRED, E_TOKEN_EXPIRED …)",
        403: "无权操作 (E_FORBIDDEN, E_OUT_OF_REGION …)",
        404: "记录不存在 (E_NOT_FOUND …)",
        409: "与现有记录冲突 (E_DUPLICATE, E_STATE, E_IDEMPOTENCY_MISMATCH …)",
        413: "请求体过大 (E_TOO_LARGE)",
        415: "请求内容类型不支持 (E_CONTENT_TYPE)",
        422: "输入有误 (E_VALIDATION 及各业务规则错误码)",
        429: "尝试次数过多 (E_FAMILY_TOO_MANY_ATTEMPTS …)",
        503: "系统暂时不可用，请稍后重试 (E_UNAVAILABLE)",
    }.items()
}
"""Documented on every operation, so a client generated from the OpenAPI reads the error body."""
