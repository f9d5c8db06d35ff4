"""Walk every page a logged-in user can reach and read its visible text (issue 17).

Starts at the user's home after the web login, follows every same-site link and submits every
GET form with its default values, breadth first; downloads (PDF, Excel, SVG) and the API are not
pages and are skipped. URLs that differ only in numbers (``/staff/offsite/3`` and ``/4``) count as
one page shape, visited at most ``per_shape`` times, so a list of 200 institutions is read twice,
not 200 times. New pages are walked as soon as a link leads to them: nothing to register here.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from fastapi.testclient import TestClient

# The raw-code patterns of issue 17 ("Tests that must exist") plus the dotted kind names it lists
# (demo.opening, audit actions such as family.bind) and 险种390.
RAW_CODE = re.compile(
    r"[a-z_]+:\d+"  # ledger account codes (family:1, personal:7:current)
    r"|_fen\b"  # field names in fen
    r"|[(（]E_[A-Z]"  # an error code as a suffix
    r"|\b[a-z][a-z_]*\.[a-z][a-z_]*(?:\.[a-z_]+)*\b"  # dotted kind / action names
    r"|险种\s*\d{3}"  # an insurance type by number
)
SKIP_PREFIXES = ("/static", "/api", "/docs", "/redoc", "/openapi", "/logout", "/fsi", "/verify")
DOWNLOAD = re.compile(r"\.(pdf|xlsx|csv|svg|png|zip)$|/(pdf|excel|xlsx|export|download|template)(/|$)")
DOWNLOAD_QUERY = re.compile(r"(^|&)(format|fmt)=(pdf|xlsx|csv|excel)")


class _Page(HTMLParser):
    """Visible text, links and GET forms of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._hidden = 0
        self._form: tuple[str, list[tuple[str, str]]] | None = None
        self._select: str | None = None
        self._select_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style", "template", "title"):
            self._hidden += 1
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("placeholder"):
            self.text.append(a["placeholder"])
        if tag == "form":
            self._form = (a.get("action", ""), []) if a.get("method", "get").lower() == "get" else None
        if tag == "input" and a.get("type", "text") not in ("hidden", "checkbox", "radio"):
            if a.get("type") in ("submit", "button") and a.get("value"):
                self.text.append(a["value"])
        if self._form is not None and tag == "input" and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self._form[1].append((a["name"], a.get("value", "")))
        if tag == "select":
            self._select, self._select_value = a.get("name"), None
        if tag == "option" and self._select is not None and (self._select_value is None or "selected" in a):
            self._select_value = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template", "title"):
            self._hidden -= 1
        if tag == "select" and self._select is not None:
            if self._form is not None and self._select:
                self._form[1].append((self._select, self._select_value or ""))
            self._select = None
        if tag == "form" and self._form is not None:
            self.forms.append(self._form)
            self._form = None

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.text.append(data)


@dataclass
class Finding:
    url: str
    code: str
    context: str


@dataclass
class Walk:
    pages: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)


def visible_text(html: str) -> str:
    page = _Page()
    page.feed(html)
    return " ".join(" ".join(page.text).split())


def _shape(url: str) -> str:
    parts = urlsplit(url)
    keys = sorted({kv.split("=", 1)[0] for kv in parts.query.split("&") if kv})
    return re.sub(r"\d+", "N", parts.path) + "?" + "&".join(keys)


def _local(base: str, href: str) -> str | None:
    full = urlsplit(urljoin(base, href))
    if full.netloc not in ("", "testserver") or full.scheme not in ("", "http"):
        return None
    if full.path.startswith(SKIP_PREFIXES) or DOWNLOAD.search(full.path) or DOWNLOAD_QUERY.search(full.query):
        return None
    return full.path + (f"?{full.query}" if full.query else "")


def walk(client: TestClient, start: list[str], *, per_shape: int = 2, limit: int = 400) -> Walk:
    """Visit ``start`` and everything reachable from it; record raw codes in visible text."""
    out = Walk()
    queue = deque(start)
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    seeds = set(start)
    while queue and len(out.pages) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        shape = _shape(url)
        shapes[shape] = shapes.get(shape, 0) + 1
        if shapes[shape] > per_shape and url not in seeds:
            continue
        response = client.get(url, follow_redirects=False)
        out.pages.append(url)
        if response.status_code >= 500:
            out.server_errors.append(f"{url} → {response.status_code}")
        if response.is_redirect:
            target = _local(url, response.headers.get("location", ""))
            if target:
                queue.append(target)
            continue
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        page = _Page()
        page.feed(response.text)
        text = " ".join(" ".join(page.text).split())
        for m in RAW_CODE.finditer(text):
            out.findings.append(Finding(url, m.group(0), text[max(0, m.start() - 30) : m.end() + 30]))
        for href in page.links:
            target = _local(url, href)
            if target:
                queue.append(target)
        for action, fields in page.forms:
            target = _local(url, action or url)
            if target:
                sep = "&" if "?" in target else "?"
                queue.append(target + (sep + urlencode(fields) if fields else ""))
    return out


def login(client: TestClient, username: str, password: str) -> str:
    """The web login (cookie session); the path of the user's home page."""
    response = client.post("/login", data={"username": username, "password": password}, follow_redirects=True)
    assert response.status_code == 200, (username, response.status_code)
    return str(response.url.path)
