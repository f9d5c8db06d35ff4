"""The input guard: one ASGI middleware in front of every route (API, pages, the 两定 interface).

Bad input is refused here, before any route runs, with a 4xx and an error code (issue 13 §5):

* **Body size.** Every request body is capped, counting the bytes as they stream in, so a chunked
  upload without ``Content-Length`` is capped too: 1 MB by default (:data:`DEFAULT_CAP`); the 两定
  interface (``/fsi/``) 12 MB, since 9101 uploads a reconciliation file inside the JSON
  (:data:`NHSA_CAP`); the 全额资助 roster upload page (CSV/Excel) 6 MB (:data:`UPLOAD_CAPS`). Over
  the cap → ``413 E_TOO_LARGE``, with the cap in ``detail.max_bytes``.
* **JSON writes to the API** must say ``application/json`` (→ ``415 E_CONTENT_TYPE``).
* **Text.** A NUL character or a lone UTF-16 surrogate — raw, percent-encoded in the path or query
  string or a form body, or as a ``\\u0000`` / ``\\ud800`` escape in JSON — and bytes that are not
  UTF-8 cannot be stored (PostgreSQL refuses NUL, neither database stores a lone surrogate):
  → ``422 E_VALIDATION`` naming where.
* **Nesting.** JSON nested deeper than :data:`MAX_JSON_DEPTH` → ``422 E_VALIDATION`` (a parser
  would otherwise exhaust the stack).
* **Whole numbers.** A path or query parameter the OpenAPI types ``integer`` must fit a 64-bit
  database integer (SQLite cannot even compare a larger one) → ``422 E_VALIDATION``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongji.domain.errors import GongjiError, InvalidRequest, PayloadTooLarge, UnsupportedMediaType

MB = 1024 * 1024
DEFAULT_CAP = 1 * MB
NHSA_CAP = 12 * MB
UPLOAD_CAPS: dict[str, int] = {"/staff/resident/roster": 6 * MB}
"""Routes that take files, and their caps (the roster file itself is at most 5 MB:
``services.resident.roster.MAX_FILE_BYTES``; the rest is the form around it)."""
MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A backslash escape preceded by an even number of backslashes is a real escape.
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_SURROGATE_ESCAPE = re.compile(
    r"(?<!\\)(?:\\\\)*\\u(d[89ab][0-9a-f]{2})(\\u(d[c-f][0-9a-f]{2}))?|\\u(d[c-f][0-9a-f]{2})", re.I
)
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
_INTEGER_TEXT = re.compile(r"^\s*[+-]?[0-9][0-9_]*(?:\.0*)?\s*$")


def cap_for(path: str) -> int:
    if path.startswith("/fsi/"):
        return NHSA_CAP
    return UPLOAD_CAPS.get(path, DEFAULT_CAP)


def _refuse_text(where: str) -> InvalidRequest:
    return InvalidRequest(
        f"{where}含有无法保存的字符（空字符、孤立代理项或非UTF-8字节）",
        f"{where} holds characters that cannot be stored (NUL, a lone surrogate or non-UTF-8 bytes)",
        field=where,
    )


def _text_ok(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")  # strict: refuses encoded surrogates too
    except UnicodeDecodeError:
        return False
    return "\x00" not in text


def check_query(raw: bytes, where: str = "query") -> None:
    """A query string or form body: every percent-decoded name and value is NUL-free UTF-8."""
    for pair in raw.split(b"&"):
        if not pair:
            continue
        if not _text_ok(unquote_to_bytes(pair.replace(b"+", b" "))):
            raise _refuse_text(where)


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped)."""
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return 0  # cannot be deeper than the number of openers
    brackets = re.sub(r"[^\[\]{}]", "", _JSON_STRING.sub("", text))
    return max(accumulate(1 if c in "[{" else -1 for c in brackets), default=0)


def check_json(raw: bytes) -> None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse_text("body") from None
    if "\\" in text:
        if _NUL_ESCAPE.search(text):
            raise _refuse_text("body")
        for match in _SURROGATE_ESCAPE.finditer(text):
            if match.group(4) or not match.group(2):
                raise _refuse_text("body")
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InvalidRequest(
            f"JSON嵌套层数超过{MAX_JSON_DEPTH}层", f"JSON nested deeper than {MAX_JSON_DEPTH} levels", field="body"
        )


class _Routes:
    """Integer path and query parameters per operation, read once from the app's OpenAPI."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        self.table: list[tuple[str, re.Pattern[str], list[tuple[str, str]]]] = []
        for template, operations in openapi.get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$")
            for method, operation in operations.items():
                ints = [
                    (p["in"], p["name"])
                    for p in operation.get("parameters", [])
                    if p.get("in") in ("path", "query") and _is_integer(p.get("schema", {}))
                ]
                if ints:
                    self.table.append((method.upper(), pattern, ints))

    def integer_params(self, method: str, path: str) -> Iterator[tuple[str, str, dict[str, str]]]:
        for verb, pattern, ints in self.table:
            if verb == method:
                match = pattern.match(path)
                if match:
                    for where, name in ints:
                        yield where, name, match.groupdict()
                    return


def _is_integer(schema: dict[str, Any]) -> bool:
    if schema.get("type") == "integer":
        return True
    return any(_is_integer(s) for s in schema.get("anyOf", []))


def _check_integer(value: str, name: str) -> None:
    """Only the range: anything that is not a whole number at all FastAPI refuses itself."""
    if not _INTEGER_TEXT.match(value):
        return
    number = int(value.strip().replace("_", "").split(".")[0])
    if not -INT64_MAX - 1 <= number <= INT64_MAX:
        raise InvalidRequest(f"参数 {name} 超出范围", f"Parameter {name} is out of range", field=name, max=INT64_MAX)


class InputGuard:
    """See the module docstring. Plain ASGI: the body is read once, checked, then replayed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._routes: _Routes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            self._check_url(scope)
            if scope["method"] in _BODY_METHODS:
                receive = await self._checked_body(scope, receive)
        except GongjiError as refusal:
            response = JSONResponse(status_code=refusal.http_status, content=refusal.to_dict())
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _check_url(self, scope: Scope) -> None:
        path: str = scope["path"]
        if _BAD_TEXT.search(path):
            raise _refuse_text("path")
        query: bytes = scope.get("query_string", b"")
        if query:
            check_query(query)
        routes = self._routes_of(scope)
        if routes is None:
            return
        values: dict[str, list[str]] | None = None
        for where, name, path_params in routes.integer_params(scope["method"], path):
            if where == "path":
                _check_integer(path_params.get(name, ""), name)
                continue
            if values is None:
                values = {}
                for pair in query.split(b"&"):
                    key, _, value = pair.partition(b"=")
                    decoded_key = unquote_to_bytes(key.replace(b"+", b" ")).decode()
                    values.setdefault(decoded_key, []).append(unquote_to_bytes(value.replace(b"+", b" ")).decode())
            for text in values.get(name, []):
                _check_integer(text, name)

    def _routes_of(self, scope: Scope) -> _Routes | None:
        if self._routes is None:
            app = scope.get("app")
            openapi = getattr(app, "openapi", None)
            if openapi is None:
                return None
            self._routes = _Routes(openapi())
        return self._routes

    async def _checked_body(self, scope: Scope, receive: Receive) -> Receive:
        headers = Headers(scope=scope)
        path: str = scope["path"]
        cap = cap_for(path)
        too_large = PayloadTooLarge(
            f"请求体过大：本接口最多接受{cap // 1024}KB", f"Request body larger than {cap} bytes", max_bytes=cap
        )
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > cap:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > cap:
                raise too_large
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if body and path.startswith("/api/") and ctype != "application/json":
            raise UnsupportedMediaType(got=ctype or None)
        if body and (ctype == "application/json" or path.startswith("/fsi/")):
            check_json(body)
        elif body and ctype == "application/x-www-form-urlencoded":
            check_query(body, "form")
        return _replay(body, receive)


def _replay(body: bytes, then: Receive) -> Receive:
    """The body as one message, then the client's own messages (a disconnect, when it comes)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await then()

    return receive
