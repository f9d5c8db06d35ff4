"""The texts a citizen reads and signs for family mutual aid (seed 000 第二步, 第三步), per profile.

Each province says what it allows (SPEC §4, issue 12 B6), so the agreement (承诺协议), its Q&A
(问答) and the commitment (承诺书) ship per profile as package data under
``gongji/data/family/<profile code>/`` with a ``VERSION`` file. Each text has a digest; a binding
records the version and digest of the commitment that was signed, so the exact text stays with it.
Change a text → raise that profile's ``VERSION``: citizens confirm the new agreement on their next visit.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


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


def _read(profile_code: str, name: str) -> str:
    return (resources.files("gongji") / "data" / "family" / profile_code / name).read_text(encoding="utf-8").strip()


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


@lru_cache(maxsize=8)
def family_texts(profile_code: str) -> FamilyTexts:
    """The texts of the profile ``profile_code`` (gansu, zhejiang, henan)."""
    return FamilyTexts(
        version=_read(profile_code, "VERSION"),
        agreement=_read(profile_code, "agreement.txt"),
        qa=_qa(_read(profile_code, "qa.txt")),
        commitment=_read(profile_code, "commitment.txt"),
    )
