"""/policy reads its sources by title (issue 17): a profile cites documents by their number in
its ``sources`` list ("002 §四(一)1") and national rules by a section of the policy notes
("notes §1.2"); the page shows 《title》 instead, never an internal file name. The premium
standards are listed year by year without gaps: a year with no standard says so."""

from __future__ import annotations

import re
from typing import Any

from gongji.entrypoints.web import labels
from gongji.policy.schema import Profile

_DOC = re.compile(r"(?<![\w§.])(\d{3})(?=\s|$)")
_NOTES = re.compile(r"\bnotes\s*(?:§\s*(\d+(?:\.\d+)?))?")
_PATH = re.compile(r"\s*\b[\w./-]*\.(?:md|txt|toml|csv|json)\b")
_INTERFACE = re.compile(r"\bcodes\s+INTERFACE\.md")
_TRAILING_NOTE = re.compile(r"\s*[（(][^（()）]*[)）]\s*$")


def doc_titles(profile: Profile) -> dict[str, str]:
    """ "000" → the document's title: the shipped table, else the profile's own ``sources`` entry."""
    titles = dict(labels.table()["policy_documents"])
    for entry in profile.profile.sources:
        number, _, title = entry.partition(" ")
        if number.isdigit() and title and number not in titles:
            titles[number] = _TRAILING_NOTE.sub("", title).strip()
    return titles


def _notes_title(section: str | None) -> str:
    table = labels.table()["policy_notes"]
    while section and section not in table:  # "6.2" → "6"
        section = section.rpartition(".")[0]
    return table.get(section or "", table[""])


def source_zh(text: str, titles: dict[str, str]) -> str:
    if not text:
        return text
    text = _INTERFACE.sub("国家医保信息业务编码", text)
    text = _PATH.sub("", text)
    text = _DOC.sub(lambda m: f"《{titles[m.group(1)]}》" if m.group(1) in titles else m.group(0), text)
    return _NOTES.sub(lambda m: f"《{_notes_title(m.group(1))}》", text)


def _cited(value: Any) -> list[str]:
    """Every ``source`` text in a dumped profile."""
    found: list[str] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found += [v] if k == "source" and isinstance(v, str) else _cited(v)
    elif isinstance(value, list | tuple):
        for v in value:
            found += _cited(v)
    return found


def source_list(profile: Profile) -> list[str]:
    """The 依据文件 list: each numbered document by title, the notes as the national documents
    the profile actually cites from them."""
    titles = doc_titles(profile)
    texts = _cited(profile.model_dump())
    numbers = [e.partition(" ")[0] for e in profile.profile.sources]
    numbers += sorted({m.group(1) for t in texts for m in _DOC.finditer(t)} - set(numbers))
    shown = [titles[n] for n in numbers if n in titles]
    notes = dict.fromkeys(_notes_title(m.group(1)) for t in texts for m in _NOTES.finditer(t))
    return shown + [t for t in notes if t not in shown]


def titled(sections: list[dict[str, Any]], profile: Profile) -> list[dict[str, Any]]:
    """The page's sections with every source by title and the premium years without gaps."""
    titles = doc_titles(profile)
    for section in sections:
        for group in section["groups"]:
            if group.get("source"):
                group["source"] = source_zh(group["source"], titles)
            for row in group.get("rows", []):
                if row.get("source"):
                    row["source"] = source_zh(row["source"], titles)
        if section.get("id") == "premium":
            section["groups"] = _without_gaps(section["groups"], profile)
    return sections


def _without_gaps(groups: list[dict[str, Any]], profile: Profile) -> list[dict[str, Any]]:
    years = {p.benefit_year for p in profile.resident.premium}
    if not years:
        return groups
    by_year: dict[int, list[dict[str, Any]]] = {}
    for group in groups:
        year = int(group["title"][:4]) if group["title"][:4].isdigit() else 0
        by_year.setdefault(year, []).append(group)
    out = by_year.pop(0, [])
    for year in range(min(years), max(years) + 1):
        out += by_year.get(year) or [_missing_year(year)]
    return out


def _missing_year(year: int) -> dict[str, Any]:
    path = f"resident.premium[{year}]"
    return {
        "kind": "kv",
        "title": f"{year}年度",
        "path": path,
        "source": "",
        "demo": False,
        "missing": True,
        "rows": [
            {
                "path": f"{path}.individual_fen",
                "label": "缴费标准",
                "value": "本配置未设该待遇年度的缴费标准：该年度不能办理居民医保缴费",
                "demo": False,
            }
        ],
    }
