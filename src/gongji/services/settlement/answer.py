"""What the national interface's front door hands to the HTTP layer.

Its own module so the interface (``settlement.interface``) and the use cases behind it
(``settlement.reconciliation`` for the 9102 file) both use it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Answer:
    """What the HTTP layer sends: a JSON body with a status, or a file (9102)."""

    status: int
    body: dict[str, Any] | None = None
    content: bytes | None = None
    filename: str | None = None
