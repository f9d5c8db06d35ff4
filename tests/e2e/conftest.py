from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gongji.entrypoints.api.app import create_app
from tests.support import PASSWORD


@pytest.fixture
def client(gj) -> Iterator[TestClient]:
    with TestClient(create_app(gj), raise_server_exceptions=False) as c:
        yield c


def login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


# --- the 两定 interface (tests/e2e/test_nhsa_*.py) -----------------------------------------------

NHSA_REGION = "620702"  # 甘肃省张掖市甘州区: the hospital's and the patients' pooling region
NHSA_HOSPITAL = "H62070200001"


@pytest.fixture
def office(gj):
    """Staff of the whole of Gansu."""
    from tests import support

    return support.staff(gj, ["620000"], username="staff_gs")


@pytest.fixture
def hospital(gj, client):
    """A level-2 hospital of 甘州区 (Gansu 310 × 11: deductible 300.00, 60 %, cap 4,000.00) with a
    gateway key, and its hospital-side client."""
    from tests import nhsa_support

    key = nhsa_support.institution(gj, NHSA_HOSPITAL, region=NHSA_REGION, level=2)
    return nhsa_support.his(client, gj, NHSA_HOSPITAL, key, region=NHSA_REGION)


@pytest.fixture
def patient(gj, office) -> int:
    """An employee of 甘州区 with 30.00 yuan of their own."""
    from datetime import date

    from tests import support

    return support.employee(gj, office, region=NHSA_REGION, name="王小红", birth=date(1990, 2, 2), income_fen=3_000)
