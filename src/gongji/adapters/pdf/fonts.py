"""One CJK TrueType font for reportlab, found on the machine and registered once.

The font is embedded as a subset, so the PDF shows the same glyphs everywhere and ``pdftotext``
extracts the Chinese text without ``poppler-data`` (SETUP-NOTES §3). Noto CJK is not a candidate:
its CFF outlines are refused by reportlab (``postscript outlines are not supported``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CJK_FONT_NAME = "GongjiCJK"


@dataclass(frozen=True, slots=True)
class FontCandidate:
    path: Path
    subfont_index: int
    debian_package: str


CANDIDATES: tuple[FontCandidate, ...] = (
    FontCandidate(Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0, "fonts-wqy-zenhei"),
    FontCandidate(Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), 0, "fonts-wqy-microhei"),
    FontCandidate(Path("/usr/share/fonts/truetype/arphic/uming.ttc"), 0, "fonts-arphic-uming"),
    FontCandidate(Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"), 0, "fonts-droid-fallback"),
)
"""Tried in order; the first one present is used. The test machine has fonts-wqy-zenhei."""


class CjkFontMissing(RuntimeError):
    """No usable CJK TrueType font: install the Debian package named in the message."""


_lock = threading.Lock()
_registered: FontCandidate | None = None


def find_cjk_font(candidates: tuple[FontCandidate, ...] = CANDIDATES) -> FontCandidate:
    """The first candidate whose file exists; ``CjkFontMissing`` naming the Debian package otherwise."""
    for candidate in candidates:
        if candidate.path.is_file():
            return candidate
    looked = ", ".join(str(c.path) for c in candidates)
    package = candidates[0].debian_package if candidates else "fonts-wqy-zenhei"
    raise CjkFontMissing(
        f"no CJK TrueType font found for PDF output (looked for {looked}); "
        f"install the Debian package {package}: apt-get install -y {package}"
    )


def cjk_font() -> str:
    """Register the CJK font with reportlab on first use and return its reportlab font name."""
    global _registered
    if _registered is not None:
        return CJK_FONT_NAME
    with _lock:
        if _registered is None:
            candidate = find_cjk_font()
            pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, str(candidate.path), subfontIndex=candidate.subfont_index))
            _registered = candidate
    return CJK_FONT_NAME


def cjk_font_file() -> Path:
    """The font file in use (registering it if needed)."""
    cjk_font()
    assert _registered is not None
    return _registered.path
