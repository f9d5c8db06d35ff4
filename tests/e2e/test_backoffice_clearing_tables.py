"""The clearing's balance and detail tables as .xlsx (issue 15 §3, §6), read back cell by cell:
title, 单位：元, headers, region names, amounts in yuan, the totals row (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from gongji.services.backoffice import clearing as C
from gongji.services.backoffice import clearing_tables as T
from tests import backoffice_support as B
from tests.e2e.test_backoffice_clearing import at, call, month_of_two_cities


@pytest.fixture
def zj(gj, clock) -> Iterator[B.Province]:
    yield from B.zhejiang(gj, clock)


def rows_of(data: bytes) -> list[tuple[Any, ...]]:
    book = load_workbook(io.BytesIO(data))
    return [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]


def test_balance_and_detail_tables_read_back_cell_by_cell(zj, clock):
    ids = month_of_two_cities(zj)
    at(zj, clock, "2026-12-03T09:00")
    run_id = call(zj, zj.office, C.run_month, "33", "2026-11")

    def write(uow: Any) -> tuple[bytes, bytes, list[int]]:
        run = C.get_run(uow, run_id)
        balance, detail, seen = io.BytesIO(), io.BytesIO(), []
        T.write_balance(uow, run, balance)
        T.write_detail(uow, run, detail, progress=seen.append)
        return balance.getvalue(), detail.getvalue(), seen

    balance, detail, seen = zj.gj.run(write)
    assert rows_of(balance) == [
        ("浙江省个人账户家庭共济资金清算平衡表（2026年11月）", None, None, None, None, None),
        (None, None, None, None, None, "单位：元"),
        T.BALANCE_HEADERS,
        (1, "330100", "杭州市", 100, 30, -70),
        (2, "330200", "宁波市", 30, 100, 70),
        ("合计", None, None, 130, 130, 0),
    ]
    got = rows_of(detail)
    assert got[0][0] == "浙江省个人账户家庭共济资金清算明细表（2026年11月）"
    assert got[1][-1] == "单位：元" and got[2] == T.DETAIL_HEADERS
    body = [(r[3], r[5], r[7], r[8], r[10], Decimal(str(r[11]))) for r in got[3:-1]]
    assert body == [
        # ordered by the owing region: what 杭州 owes first (宁波 advanced it), then what 宁波 owes
        ("跨统筹区本地就医", "宁波市海曙区", "杭州市西湖区", "宁波市海曙区", "正常", Decimal("80")),
        ("跨统筹区异地就医", "宁波市海曙区", "杭州市西湖区", "温州市鹿城区", "正常", Decimal("20")),
        ("跨统筹区本地就医", "杭州市西湖区", "宁波市海曙区", "杭州市西湖区", "正常", Decimal("30")),
    ]
    assert [r[0] for r in got[3:-1]] == [1, 2, 3]
    assert ids["offsite_setl_id"] in [r[1] for r in got[3:-1]]
    assert got[-1][0] == "合计" and got[-1][1] == "3笔" and got[-1][-1] == 130
    assert seen == [3]
