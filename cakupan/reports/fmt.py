"""Numbers and dates as people read them: Indonesian (``22,78%``, ``16.684``,
``30 Juni 2025``) or English (``22.78%``, ``16,684``, ``30 June 2025``), through Babel's
CLDR locale data. A missing value is ``-``."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import NumberPattern, parse_pattern

LOCALES = {"id": "id_ID", "en": "en_GB"}
MISSING = "-"
JAKARTA = ZoneInfo("Asia/Jakarta")


class Formatter:
    """Formats of one language (``id`` or ``en``)."""

    def __init__(self, lang: str):
        if lang not in LOCALES:
            raise ValueError(f"language {lang!r}: choose one of {', '.join(LOCALES)}")
        self.lang = lang
        # parsed once: format_decimal(locale="id_ID") parses the locale and the pattern on
        # every call (a page formats hundreds of numbers, a run writes 550 pages)
        self.locale = Locale.parse(LOCALES[lang])

    def count(self, value: int | None) -> str:
        """A whole number with thousands separators: ``16.684``, ``-1.234.567``."""
        if value is None:
            return MISSING
        return _pattern("#,##0").apply(int(value), self.locale)

    def number(self, value: float | None, decimals: int = 2) -> str:
        """A number with ``decimals`` decimals (half to even on the decimal value)."""
        if value is None:
            return MISSING
        pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
        return _pattern(pattern).apply(value, self.locale)

    def pct(self, value: float | None, decimals: int = 2) -> str:
        """A percentage given in percent points: ``22.78`` -> ``22,78%``."""
        return MISSING if value is None else self.number(value, decimals) + "%"

    def date(self, value: date | None) -> str:
        """``30 Juni 2025``."""
        return MISSING if value is None else format_date(value, "d MMMM y", locale=self.locale)

    def period(self, value: str | None) -> str:
        """A Sakernas round ``YYYY-MM`` as ``Agustus 2024``."""
        if not value:
            return MISSING
        year, month = value.split("-")
        return format_date(date(int(year), int(month), 1), "MMMM y", locale=self.locale)

    def moment(self, value: datetime | None) -> str:
        """A point in time in Western Indonesia Time: ``30 Juni 2025 02.00 WIB``."""
        if value is None:
            return MISSING
        local = value.astimezone(JAKARTA)
        clock = "HH.mm" if self.lang == "id" else "HH:mm"
        return format_datetime(local, f"d MMMM y {clock}", locale=self.locale) + " WIB"


@cache
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)
