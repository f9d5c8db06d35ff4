"""Family mutual aid API (家庭共济, SPEC §4): citizens bind/unbind/allocate, staff fraud handling."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/api/family", tags=["family 家庭共济"])
