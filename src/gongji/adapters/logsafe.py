"""Logs without whole ID numbers or names (issue 13 §6, SPEC §9).

Masking happens at the formatter, over the finished line: message, arguments, exception text
(tracebacks carry SQL parameters, PostgreSQL's ``DETAIL: Failing row contains (…)``) and stack.
Before masking, percent-encoded runs (``%E5%BC%A0%E4%B8%89``) and ``\\uXXXX`` escapes are read
back, so encoded names and numbers are caught too. Names are recognised where they can be:

- names the current request carried in its body (``*name*`` fields of JSON or forms) — the
  access log collects them into ``KNOWN_NAMES`` and every line of that request masks them;
- values of ``*name*`` / ``xm`` / ``姓名`` keys (``name=张三``, ``'psn_name': '张三'``);
- a short Chinese run standing alone in a list or quote (``('张三', …)``, ``(12, 张三, …)``).

The access log writes its query string parameter by parameter (``query_for_log``): every value
of a name-like key is masked whatever its script, every Chinese run in a value is masked as a
name, ID numbers as ID numbers.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from urllib.parse import parse_qsl, unquote_to_bytes

from gongji.domain.masking import mask_name, mask_text

KNOWN_NAMES: ContextVar[set[str] | None] = ContextVar("gongji_known_names", default=None)

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_PCT_RUN = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
_UESC_RUN = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")
_NAME_KEY = r"(?:\w*name\w*|xm|姓名)"
_KEY_VALUE = re.compile(
    rf"""(?i)({_NAME_KEY}['"]?\s*[:=：]\s*\(?\s*['"]?)([^\s'",)&;]+)""",
)
_QUOTED_HAN = re.compile(rf"""(['"])([{_HAN}][{_HAN}·]{{1,7}})\1""")
_LISTED_HAN = re.compile(rf"""(?<=[(\[,=:])(\s*)([{_HAN}][{_HAN}·]{{1,3}})(?=\s*[,)\]]|\s*$)""", re.M)
_HAN_RUN = re.compile(rf"[{_HAN}][{_HAN}·]*")
_NAME_FIELD = re.compile(rf"(?i)^{_NAME_KEY}$")


def mask_log_text(text: str, names: set[str] | None = None) -> str:
    """``text`` with ID numbers and recognisable names masked (see the module docstring)."""
    text = _PCT_RUN.sub(lambda m: _decoded(m.group(0), _from_percent), text)
    text = _UESC_RUN.sub(lambda m: _decoded(m.group(0), _from_escapes), text)
    return _mask_plain(text, names or set())


def _mask_plain(text: str, names: set[str]) -> str:
    for name in sorted((n for n in names if len(n) >= 2), key=len, reverse=True):
        text = text.replace(name, mask_name(name))
    text = _KEY_VALUE.sub(lambda m: m.group(1) + _mask_value(m.group(2)), text)
    text = _QUOTED_HAN.sub(lambda m: m.group(1) + mask_name(m.group(2)) + m.group(1), text)
    text = _LISTED_HAN.sub(lambda m: m.group(1) + mask_name(m.group(2)), text)
    return mask_text(text)


def _mask_value(value: str) -> str:
    return mask_name(value) if not value.isascii() else value


def _from_percent(run: str) -> str:
    return unquote_to_bytes(run).decode("utf-8")


def _from_escapes(run: str) -> str:
    return str(json.loads(f'"{run}"'))


def _decoded(run: str, decode: object) -> str:
    """The run read back and masked when that changes anything, else the run as it was."""
    try:
        plain = decode(run)  # type: ignore[operator]
    except (UnicodeDecodeError, ValueError):
        return str(run)
    masked = _HAN_RUN.sub(lambda m: mask_name(m.group(0)) if len(m.group(0)) >= 2 else m.group(0), plain)
    masked = mask_text(masked)
    return str(masked) if masked != plain else run


def query_for_log(raw: bytes) -> str:
    """The query string for the access log, masked parameter by parameter."""
    if not raw:
        return ""
    parts = []
    for key, value in parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True):
        if _NAME_FIELD.match(key):
            shown = mask_name(value)
        else:
            shown = mask_text(_HAN_RUN.sub(lambda m: mask_name(m.group(0)), value))
        parts.append(f"{mask_text(key)}={shown}")
    return "?" + "&".join(parts)


def remember_body_names(body: bytes, content_type: str) -> None:
    """Add the ``*name*`` values of a JSON or form body to this request's KNOWN_NAMES."""
    known = KNOWN_NAMES.get()
    if known is None or not body:
        return
    try:
        if content_type.startswith("application/json"):
            _collect(json.loads(body), known)
        elif content_type.startswith("application/x-www-form-urlencoded"):
            for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                if _NAME_FIELD.match(key) and value.strip():
                    known.add(value.strip())
    except (ValueError, RecursionError):
        return


def _collect(value: object, known: set[str], key: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _collect(v, known, str(k))
    elif isinstance(value, list):
        for v in value:
            _collect(v, known, key)
    elif isinstance(value, str) and key and _NAME_FIELD.match(key) and value.strip():
        known.add(value.strip())


class MaskingFormatter(logging.Formatter):
    """A formatter whose every line — message, arguments, traceback — is masked."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_log_text(super().format(record), KNOWN_NAMES.get())


class MaskingFilter(logging.Filter):
    """For handlers with formatters of their own (uvicorn's): mask message, arguments and
    exception text on the record, keeping ``record.args`` usable for formatters that read them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        names = KNOWN_NAMES.get()
        if isinstance(record.msg, str):
            record.msg = mask_log_text(record.msg, names)
        if isinstance(record.args, tuple):
            record.args = tuple(_mask_arg(a, names) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _mask_arg(v, names) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text, names)
        if record.stack_info:
            record.stack_info = mask_log_text(record.stack_info, names)
        return True


_PLAIN = logging.Formatter()


def _mask_arg(value: object, names: set[str] | None) -> object:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return mask_log_text(value if isinstance(value, str) else str(value), names)
