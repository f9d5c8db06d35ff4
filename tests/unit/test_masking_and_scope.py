"""Masking (SPEC §9: 6207**********1234, 张*) and staff region scope (issue 2 §5)."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from gongji.domain.ids import make_id_number
from gongji.domain.masking import mask_id_number, mask_name, mask_phone, mask_text
from gongji.domain.registry import region_in_scope


def test_id_numbers_keep_only_first_and_last_four():
    assert mask_id_number("11010519491231002X") == "1101**********002X"


def test_names_keep_the_surname_character():
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***" and mask_name("王") == "*"


def test_phones_keep_prefix_and_last_four():
    assert mask_phone("13912345678") == "139****5678"


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)),
    st.integers(0, 999),
    st.text(alphabet="查询身份证号：, ()=&?", max_size=20),
    st.text(alphabet="查询身份证号：, ()=&?", max_size=20),
)
def test_no_whole_id_number_survives_mask_text(born, seq, before, after):
    number = make_id_number("620702", born, seq)
    masked = mask_text(f"{before}{number}{after}")
    assert number not in masked
    assert mask_id_number(number) in masked


def test_region_scope_by_level():
    assert region_in_scope("620702", ["620700"])
    assert region_in_scope("620702", ["620000"])
    assert not region_in_scope("330106", ["620700"])
    assert not region_in_scope("620723", ["620702"])
    assert region_in_scope("620702", ["620702"])


def test_domain_modules_do_no_io_and_import_no_sqlalchemy():
    """The domain layer is pure (STYLE.md): no SQLAlchemy, FastAPI, or adapters imports."""
    domain = Path(__file__).parents[2] / "src" / "gongji" / "domain"
    for path in domain.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(("sqlalchemy", "fastapi", "gongji.adapters", "gongji.services")), (
                    path.name,
                    name,
                )
