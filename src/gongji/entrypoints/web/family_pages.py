"""zh-CN pages for family mutual aid (家庭共济): the citizen's five-step flow and staff actions."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
