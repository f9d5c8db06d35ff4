"""Where the running server listens: ``gongji serve`` (and so ``make run``) writes
``$GONGJI_VAR_DIR/gongji-serve.json`` with its URL and process id, and removes it on exit; the
hospital simulators (``gongji his``, ``his-rx``, ``his-scan``) read it when no ``--url`` is given."""

from __future__ import annotations

import json
import os
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


def path() -> Path:
    return Path(os.environ.get("GONGJI_VAR_DIR", "var")) / "gongji-serve.json"


def write(host: str, port: int) -> Path:
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"url": f"http://{shown}:{port}", "pid": os.getpid()}), encoding="utf-8")
    return target


def remove() -> None:
    target = path()
    try:
        if json.loads(target.read_text(encoding="utf-8")).get("pid") == os.getpid():
            target.unlink()
    except (OSError, ValueError):
        pass


def _alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_url() -> str | None:
    """The URL a live ``gongji serve`` wrote, or None."""
    try:
        data = json.loads(path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = data.get("url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and _alive(data.get("pid")) else None


def server_url(given: str) -> str:
    """``--url`` if given, else the running server's, else the default port."""
    return given or running_url() or DEFAULT_URL


def unreachable_hint(url: str) -> str:
    return (
        f"无法连接 {url}。请先启动服务（make run 或 gongji serve --port 端口），"
        "或用 --url 指定正在运行的服务，例如 --url http://127.0.0.1:8080 "
        f"(Cannot reach {url}: start the server, or pass --url with its address)"
    )
