"""The session's log scan (issue 13 §6, SPEC §9): after the whole suite, on SQLite and PostgreSQL
alike, the log file may hold no whole ID number and no whole name of any person the tests
created — plain, percent-encoded or ``\\uXXXX``-escaped.

Written apart from the masking code (``gongji.adapters.logsafe``) so a gap there shows here.
The persons come from each test database before it is dropped (``remember_persons``).
"""

from __future__ import annotations

import json
import re
from datetime import date
from urllib.parse import unquote_to_bytes

from sqlalchemy import Engine, text

from gongji.domain.ids import check_char

NAMES: set[str] = set()
ID_NUMBERS: set[str] = set()

_PCT = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_UESC = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
_DIGITS = re.compile(r"\d{17,}[Xx]?")
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff][\u3400-\u9fff\uf900-\ufaff·]*")


def remember_persons(engine: Engine) -> None:
    """Note every person's name and ID number of a test database (called before it goes)."""
    try:
        with engine.connect() as c:
            for name, cert_no in c.execute(text("SELECT name, cert_no FROM person")):
                if name and len(name) >= 2:
                    NAMES.add(name)
                if cert_no:
                    ID_NUMBERS.add(cert_no.upper())
    except Exception:  # noqa: BLE001 - a test that broke its database leaves nothing to note
        return


def _readings(text_: str) -> str:
    """The text plus what its percent-encoded runs and escapes read as."""
    extra = []
    for m in _PCT.finditer(text_):
        try:
            extra.append(unquote_to_bytes(m.group(0)).decode("utf-8"))
        except UnicodeDecodeError:
            pass
    for m in _UESC.finditer(text_):
        try:
            extra.append(json.loads(f'"{m.group(0)}"'))
        except ValueError:
            pass
    return text_ + "\n" + "\n".join(extra)


def _is_id(window: str) -> bool:
    if not window[:17].isdigit():
        return False
    try:
        date(int(window[6:10]), int(window[10:12]), int(window[12:14]))
    except ValueError:
        return False
    return 1880 <= int(window[6:10]) <= 2100 and check_char(window[:17]) == window[17].upper()


def leaks(log_text: str, names: set[str], id_numbers: set[str]) -> list[str]:
    """Whole ID numbers and names found in ``log_text`` (masked for the report)."""
    found: list[str] = []
    readable = _readings(log_text)
    for m in _DIGITS.finditer(readable):
        run = m.group(0).upper()
        for i in range(len(run) - 17):
            window = run[i : i + 18]
            if window in id_numbers or _is_id(window):
                found.append(f"ID {window[:4]}…{window[-4:]}")
    longest = max((len(n) for n in names), default=0)
    for m in _HAN_RUN.finditer(readable):
        run = m.group(0)
        for size in range(2, min(longest, len(run)) + 1):
            for i in range(len(run) - size + 1):
                if run[i : i + size] in names:
                    found.append(f"name {run[i]}{'*' * (size - 1)}")
    return found
