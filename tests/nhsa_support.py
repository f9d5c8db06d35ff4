"""Builders for the 两定 interface tests: a designated institution with a gateway key, and a
hospital-side client (adapters.nhsa.client.HisClient) that talks to the app in-process."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from gongji.adapters.db.models import Institution
from gongji.adapters.nhsa.client import HisClient, Key
from gongji.bootstrap import Gongji
from gongji.services import auth, nhsa
from gongji.services.auth import Role
from tests import support as S


def institution(
    gj: Gongji,
    code: str,
    *,
    region: str = "620702",
    kind: str = "hospital",
    level: int = 3,
    name: str | None = None,
    scheme: str = "api",
) -> Key:
    """A designated institution, its system user and one gateway key of ``scheme``."""

    def go(uow: Any) -> Key:
        uow.session.add(
            Institution(
                fixmedins_code=code,
                name=name or f"测试{'医院' if kind == 'hospital' else '药房'}{code[-3:]}",
                kind=kind,
                level=level,
                region_code=region,
            )
        )
        user = auth.create_user(
            uow,
            username=f"his_{code}",
            password=S.PASSWORD,
            role=Role.INSTITUTION,
            display_name=code,
            fixmedins_code=code,
        )
        credential = nhsa.issue_credential(uow, user=user, scheme=scheme, now=gj.clock.now())
        key = Key(scheme=scheme, key_id=credential.key_id, secret=credential.secret)  # type: ignore[arg-type]
        uow.commit()
        return key

    return gj.run(go)


def his(
    client: TestClient, gj: Gongji, code: str, key: Key, *, region: str = "620702", style: str = "body"
) -> HisClient:
    return HisClient(
        http=client,
        fixmedins_code=code,
        fixmedins_name=f"测试机构{code[-3:]}",
        region=region,
        key=key,
        style=style,  # type: ignore[arg-type]
        now=gj.clock.now,
    )
