"""Issue 13 §6: the log formatter masks ID numbers and names in message, arguments and exception
text, encoded or not; the session's log scan finds what would leak."""

from __future__ import annotations

import logging
import sys
from datetime import date

from gongji.adapters.logsafe import MaskingFormatter, mask_log_text, query_for_log
from gongji.domain.ids import make_id_number
from tests import logscan

ID = make_id_number("620702", date(1990, 1, 1), 7)


def test_an_id_number_inside_letters_or_digits_is_masked_but_long_reference_numbers_stay():
    assert ID not in mask_log_text(f"q=x{ID}y and 1{ID}2")
    assert mask_log_text("msgid H620702000012026112310000012") == "msgid H620702000012026112310000012"


def test_percent_encoded_and_escaped_names_and_quoted_or_listed_names_are_masked():
    line = mask_log_text(
        "GET /api/persons?q=%E5%BC%A0%E5%B0%8F%E8%8A%B1 name=\\u5f20\\u5c0f\\u82b1 "
        "[parameters: ('张小花', 'x')] Failing row contains (12, 张小花, 3)"
    )
    assert "张小花" not in line and "%E5%BC%A0%E5%B0%8F%E8%8A%B1" not in line and "\\u5f20" not in line


def test_the_formatter_masks_the_exception_text_and_the_arguments():
    try:
        raise ValueError(f"DETAIL: Key (cert_no)=({ID}) already exists; name='王大锤'")
    except ValueError:
        record = logging.LogRecord("gongji", logging.ERROR, __file__, 1, "for %s", (ID,), sys.exc_info())
    line = MaskingFormatter("%(message)s").format(record)
    assert "Traceback" in line and ID not in line and "王大锤" not in line


def test_the_access_log_query_string_is_masked_parameter_by_parameter():
    shown = query_for_log(f"q=%E6%9D%8E%E5%9B%9B&psn_name=Li&page=2&cert={ID}".encode())
    assert shown == "?q=李*&psn_name=L*&page=2&cert=6207**********0073"


def test_the_session_scan_finds_whole_ids_and_names_in_every_encoding():
    names = {"刘德华"}
    assert logscan.leaks("all masked: 6207**********0073 刘**", names, {ID}) == []
    for leaked in (f"x{ID}", "%E5%88%98%E5%BE%B7%E5%8D%8E", "\\u5218\\u5fb7\\u534e", "(刘德华)"):
        assert logscan.leaks(leaked, names, {ID}), leaked
