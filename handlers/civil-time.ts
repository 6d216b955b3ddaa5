/**
 * Proleptic Gregorian calendar arithmetic on plain integers. Pure module.
 *
 * Why not `Date.UTC`: it maps years 0–99 to 1900–1999 (ECMA-262 §21.4.3.4 MakeFullYear's two-digit
 * rule), so `0001-01-01T00:00:00Z`, the zero time of Go and .NET, was stored as 1901. These
 * functions take the year as it is written, for every year `Date` can represent.
 */

/** Days of `month` (1–12) in `year`; year 0 is a leap year, as in ISO 8601's proleptic calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Whether year-month-day names a real calendar day (Date silently rolls 2026-02-30 over to March). */
export function isCalendarDay(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * Days from 1970-01-01 to a calendar day (negative before it), by Howard Hinnant's `days_from_civil`
 * algorithm (http://howardhinnant.github.io/date_algorithms.html#days_from_civil).
 *
 * @example daysFromCivil(1970, 1, 1) === 0; daysFromCivil(1, 1, 1) === -719162
 */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Milliseconds in a UTC day (no leap seconds, as in JavaScript and Parquet time). */
export const MILLIS_PER_DAY = 86_400_000;

/** Milliseconds since the epoch at the start of a UTC calendar day. */
export function utcDayStart(year: number, month: number, day: number): number {
  return daysFromCivil(year, month, day) * MILLIS_PER_DAY;
}
