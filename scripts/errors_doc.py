#!/usr/bin/env python
"""Write docs/errors.md from ``gongji.domain.errors.all_error_classes()`` (the catalogue):
``.venv/bin/python scripts/errors_doc.py``. tests/unit/test_error_catalogue.py checks it is current."""

from __future__ import annotations

import sys
from pathlib import Path

from gongji.domain.errors import all_error_classes

DOC = Path(__file__).resolve().parents[1] / "docs" / "errors.md"
HEAD = """# Error codes

Every answer for bad input carries `code`, `message` (Chinese) and `message_en`; nothing is written.
Generated from `src/gongji/domain/errors.py` (the tree at its top) by `scripts/errors_doc.py`;
live list: `GET /api/errors`.
A browser (`Accept: text/html`) gets the same code and message as a Chinese HTML page with what to do.

| code | HTTP | 中文 | English | class |
|---|---|---|---|---|
"""


def render() -> str:
    rows = [
        f"| `{c.code}` | {c.http_status} | {c.message_zh} | {c.message_en} | {c.__name__} |"
        for c in all_error_classes()
    ]
    return HEAD + "\n".join(rows) + "\n"


if __name__ == "__main__":
    DOC.write_text(render(), encoding="utf-8")
    sys.stdout.write(f"wrote {DOC}\n")
