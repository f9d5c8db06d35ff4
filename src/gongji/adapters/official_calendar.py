"""The official holiday schedule from the ``chinesecalendar`` package (import name ``chinese_calendar``).

The package carries the State Council's notices year by year (holidays and 调休 make-up working
days); 1.11 covers 2004–2026 and raises ``NotImplementedError`` for any other year, so the
years it covers are read from its data and ``domain.calendar`` falls back to Mon–Fri beyond
them. Nothing else in the project imports the package.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import chinese_calendar

from gongji.domain.calendar import OfficialSchedule

HOLIDAY_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}


def _zh(name: object) -> str:
    text = str(getattr(name, "value", name))
    return HOLIDAY_ZH.get(text, text)


@lru_cache(maxsize=1)
def official_schedule() -> OfficialSchedule:
    holidays: dict[date, object] = chinese_calendar.holidays
    workdays: dict[date, object] = chinese_calendar.workdays
    first, last = min(holidays).year, max(holidays).year
    return OfficialSchedule(
        years=frozenset(range(first, last + 1)),
        holidays={d: _zh(n) for d, n in holidays.items()},
        # ``workdays`` lists only the make-up days (a weekend worked), each under the holiday it serves
        makeup_workdays={d: f"{_zh(n)}调休上班" for d, n in workdays.items() if d.weekday() >= 5},
    )
