"""The texts a citizen reads and signs for family mutual aid (seed 000 第二步, 第三步).

The agreement (承诺协议), its Q&A (问答) and the commitment (承诺书) ship as package data
under ``gongji/data/family``. Each has a version and a SHA-256 digest; a binding records the
version and digest of the commitment that was signed, so the exact text can be shown later.
Change a text → raise ``VERSION``: citizens confirm the new agreement on their next visit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

VERSION = "2026.1"


@dataclass(frozen=True)
class FamilyTexts:
    version: str
    agreement: str
    qa: tuple[tuple[str, str], ...]
    commitment: str

    @property
    def agreement_sha256(self) -> str:
        """Digest of what is confirmed on first use: the agreement and the Q&A."""
        qa = "\n".join(f"{q}\n{a}" for q, a in self.qa)
        return hashlib.sha256(f"{self.agreement}\n{qa}".encode()).hexdigest()

    @property
    def commitment_sha256(self) -> str:
        return hashlib.sha256(self.commitment.encode()).hexdigest()


def _read(name: str) -> str:
    return (resources.files("gongji") / "data" / "family" / name).read_text(encoding="utf-8").strip()


def _qa(text: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    question = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("问："):
            question = line[2:]
        elif line.startswith("答：") and question is not None:
            pairs.append((question, line[2:]))
            question = None
    return tuple(pairs)


@lru_cache(maxsize=1)
def family_texts() -> FamilyTexts:
    return FamilyTexts(
        version=VERSION,
        agreement=_read("agreement.txt"),
        qa=_qa(_read("qa.txt")),
        commitment=_read("commitment.txt"),
    )
