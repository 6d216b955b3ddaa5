"""Proleptic Gregorian calendar arithmetic on plain integers (handlers/civil-time.ts).

The processor takes a year as it is written, for every year (``0001-01-01`` is year 1, not 1901 as
``Date.UTC`` would read it), and names a day's partition by ``getUTCFullYear``/``Month``/``Date``,
which go below year 1. Python's ``datetime`` stops at year 1, so both directions are computed here
with Howard Hinnant's algorithms (http://howardhinnant.github.io/date_algorithms.html).

Example::

    >>> days_from_civil(1970, 1, 1), days_from_civil(1, 1, 1)
    (0, -719162)
    >>> civil_from_days(-719528)
    (0, 1, 1)
"""
from __future__ import annotations

MILLIS_PER_DAY = 86_400_000


def days_in_month(year: int, month: int) -> int:
    """Days of ``month`` (1–12) in ``year``; year 0 is a leap year, as in ISO 8601's proleptic calendar."""
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31


def is_calendar_day(year: int, month: int, day: int) -> bool:
    """Whether year-month-day names a real calendar day."""
    return 1 <= month <= 12 and 1 <= day <= days_in_month(year, month)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a calendar day (negative before it)."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    year_of_era = y - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def civil_from_days(days: int) -> tuple[int, int, int]:
    """The (year, month, day) of a day counted from 1970-01-01, for any year (``new Date(days * 86400000)``'s UTC fields)."""
    shifted = days + 719_468
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    return year, month, day
