"""Request bodies of the JSON API; sizes are limited and amounts are strict integers (fen)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictInt

Fen = Annotated[StrictInt, Field(gt=0, le=10_000_000_000, description="金额（分），正整数")]
RegionCode = Annotated[str, Field(pattern=r"^\d{6}$", description="6位行政区划/医保区划代码")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Body):
    username: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=128)


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
