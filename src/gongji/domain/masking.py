"""The one masking helper for personal data (PIPL 个人信息保护法, SPEC §9).

Lists, logs and exports show ``6207**********1234`` and ``张*``; whole values are shown only
where the job needs them, and such reads are audited. ``mask_text`` scrubs free text (log
lines) of anything that looks like an identity number.
"""

from __future__ import annotations

import re

_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_id_number(value: str | None) -> str:
    """Keep the first 4 and last 4 characters: ``620702199001011234`` → ``6207**********1234``."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str | None) -> str:
    """Keep the surname character: ``张三丰`` → ``张**``; a one-character name → ``*``."""
    if not value:
        return ""
    if len(value) == 1:
        return "*"
    return value[0] + "*" * (len(value) - 1)


def mask_phone(value: str | None) -> str:
    """``13912345678`` → ``139****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(text: str) -> str:
    """Mask every 18-character identity number inside free text (log messages)."""
    return _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(0)), text)
