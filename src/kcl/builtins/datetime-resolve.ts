/**
 * The second half of `datetime.validate` (datetime-parse.ts): chrono 0.4.45's resolution of the
 * fields a parse read into a date (`Parsed::to_naive_date`) or a time (`to_naive_time`), with the
 * calendar arithmetic it needs. Constant work per call.
 */
import type { Parsed } from './datetime-parse.js';

export const I32_MAX = 2147483647;

export const inRange = (v: number, lo: number, hi: number) => v >= lo && v <= hi;

/** chrono 0.4.45's NaiveDate range: -262143-01-01 ..= 262142-12-31. */
const MIN_YEAR = -262143;
const MAX_YEAR = 262142;

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const daysInYear = (y: number) => (isLeap(y) ? 366 : 365);
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const daysInMonth = (y: number, m: number) => (m === 2 && isLeap(y) ? 29 : MONTH_DAYS[m - 1]);

/** A valid date, with the derived fields the consistency checks compare. */
interface CalDate {
  year: number;
  month: number;
  day: number;
  ordinal: number;
  /** days since 1970-01-01 */
  epochDay: number;
}

/** Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d];
}

function fromYmd(y: number, m: number, d: number): CalDate | undefined {
  if (y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  const epochDay = daysFromCivil(y, m, d);
  return { year: y, month: m, day: d, ordinal: epochDay - daysFromCivil(y, 1, 1) + 1, epochDay };
}

export function fromEpochDay(z: number): CalDate | undefined {
  const [y, m, d] = civilFromDays(z);
  return fromYmd(y, m, d);
}

function fromYo(y: number, ordinal: number): CalDate | undefined {
  if (y < MIN_YEAR || y > MAX_YEAR || ordinal < 1 || ordinal > daysInYear(y)) return undefined;
  return fromEpochDay(daysFromCivil(y, 1, 1) + ordinal - 1);
}

/** 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday). */
const weekdayOf = (d: CalDate) => (((d.epochDay + 3) % 7) + 7) % 7;

/** chrono's Weekday::days_since: days from `other` forward to `w`. */
const daysSince = (w: number, other: number) => (w - other + 7) % 7;

/** NaiveDate::weeks_from: the %U (from Sunday, 6) or %W (from Monday, 0) week number. */
const weeksFrom = (d: CalDate, start: number) => Math.floor((d.ordinal - daysSince(weekdayOf(d), start) + 6) / 7);

/** The ISO 8601 week date: [iso year, week]. */
function isoWeek(d: CalDate): [number, number] {
  const thursday = d.epochDay + 3 - weekdayOf(d);
  const [ty] = civilFromDays(thursday);
  const ordinal = thursday - daysFromCivil(ty, 1, 1) + 1;
  return [ty, Math.floor((ordinal - 1) / 7) + 1];
}

function fromIsoYwd(year: number, week: number, weekday: number): CalDate | undefined {
  const jan1 = daysFromCivil(year, 1, 1);
  const jan1Weekday = (((jan1 + 3) % 7) + 7) % 7;
  const weeks = jan1Weekday === 3 || (jan1Weekday === 2 && isLeap(year)) ? 53 : 52;
  if (week < 1 || week > weeks) return undefined;
  const jan4 = jan1 + 3;
  const week1Monday = jan4 - ((((jan4 + 3) % 7) + 7) % 7);
  const d = fromEpochDay(week1Monday + (week - 1) * 7 + weekday);
  return d;
}

function resolveWeekDate(year: number, week: number, weekday: number, start: number): CalDate | 'outOfRange' | 'impossible' {
  if (week > 53) return 'outOfRange';
  const first = fromYo(year, 1);
  if (!first) return 'outOfRange';
  const firstWeekStart = 1 + daysSince(start, weekdayOf(first));
  const ordinal = firstWeekStart + (week - 1) * 7 + daysSince(weekday, start);
  if (ordinal <= 0) return 'impossible';
  return fromYo(year, ordinal) ?? 'impossible';
}

type Failure = 'outOfRange' | 'impossible' | 'notEnough';

/** resolve_year: the full year from year / century / year-of-century, as chrono does. */
function resolveYear(y: number | undefined, q: number | undefined, r: number | undefined): number | undefined | Failure {
  if (q === undefined && r === undefined) return y;
  if (y !== undefined && (r === undefined || inRange(r, 0, 99))) {
    if (y < 0) return 'impossible';
    const q2 = Math.floor(y / 100);
    const r2 = y % 100;
    return (q ?? q2) === q2 && (r ?? r2) === r2 ? y : 'impossible';
  }
  if (y === undefined && q !== undefined && r !== undefined && inRange(r, 0, 99)) {
    if (q < 0) return 'impossible';
    const full = q * 100 + r;
    return full > I32_MAX ? 'outOfRange' : full;
  }
  if (y === undefined && q === undefined && r !== undefined && inRange(r, 0, 99)) return r + (r < 70 ? 2000 : 1900);
  if (y === undefined && q !== undefined && r === undefined) return 'notEnough';
  return 'outOfRange';
}

/** Parsed::to_naive_date */
export function toDate(p: Parsed): CalDate | Failure {
  const year = resolveYear(p.year, p.yearDiv100, p.yearMod100);
  if (typeof year === 'string') return year;
  const isoYear = resolveYear(p.isoYear, p.isoYearDiv100, p.isoYearMod100);
  if (typeof isoYear === 'string') return isoYear;

  const verifyYmd = (d: CalDate) => {
    const [q, r] = d.year >= 0 ? [Math.floor(d.year / 100), d.year % 100] : [undefined, undefined];
    return (
      (p.year ?? d.year) === d.year &&
      (p.yearDiv100 ?? q) === q &&
      (p.yearMod100 ?? r) === r &&
      (p.month ?? d.month) === d.month &&
      (p.day ?? d.day) === d.day
    );
  };
  const verifyIsoWeekDate = (d: CalDate) => {
    const [iy, iw] = isoWeek(d);
    const [q, r] = iy >= 0 ? [Math.floor(iy / 100), iy % 100] : [undefined, undefined];
    const wd = weekdayOf(d);
    return (
      (p.isoYear ?? iy) === iy &&
      (p.isoYearDiv100 ?? q) === q &&
      (p.isoYearMod100 ?? r) === r &&
      (p.isoWeek ?? iw) === iw &&
      (p.weekday ?? wd) === wd
    );
  };
  const verifyOrdinal = (d: CalDate) =>
    (p.ordinal ?? d.ordinal) === d.ordinal && (p.weekFromSun ?? weeksFrom(d, 6)) === weeksFrom(d, 6) && (p.weekFromMon ?? weeksFrom(d, 0)) === weeksFrom(d, 0);

  let date: CalDate;
  let verified: boolean;
  if (year !== undefined && p.month !== undefined && p.day !== undefined) {
    const d = fromYmd(year, p.month, p.day);
    if (!d) return 'outOfRange';
    date = d;
    verified = verifyIsoWeekDate(d) && verifyOrdinal(d);
  } else if (year !== undefined && p.ordinal !== undefined) {
    const d = fromYo(year, p.ordinal);
    if (!d) return 'outOfRange';
    date = d;
    verified = verifyYmd(d) && verifyIsoWeekDate(d) && verifyOrdinal(d);
  } else if (year !== undefined && p.weekday !== undefined && (p.weekFromSun !== undefined || p.weekFromMon !== undefined)) {
    const sun = p.weekFromSun !== undefined;
    const d = resolveWeekDate(year, sun ? p.weekFromSun! : p.weekFromMon!, p.weekday, sun ? 6 : 0);
    if (typeof d === 'string') return d;
    date = d;
    verified = verifyYmd(d) && verifyIsoWeekDate(d) && verifyOrdinal(d);
  } else if (isoYear !== undefined && p.isoWeek !== undefined && p.weekday !== undefined) {
    const d = fromIsoYwd(isoYear, p.isoWeek, p.weekday);
    if (!d) return 'outOfRange';
    date = d;
    verified = verifyYmd(d) && verifyOrdinal(d);
  } else {
    return 'notEnough';
  }
  if (!verified) return 'impossible';
  if (p.quarter !== undefined && p.quarter !== Math.floor((date.month - 1) / 3) + 1) return 'impossible';
  return date;
}

/** Parsed::to_naive_time: [hour, minute, second, nanosecond] (second 60 = a leap second). */
export function toTime(p: Parsed): number[] | Failure {
  if (p.hourDiv12 === undefined || p.hourMod12 === undefined || p.minute === undefined) return 'notEnough';
  const second = p.second ?? 0;
  if (second > 60) return 'outOfRange';
  if (p.nanosecond !== undefined && p.second === undefined) return 'notEnough';
  return [p.hourDiv12 * 12 + p.hourMod12, p.minute, second, p.nanosecond ?? 0];
}
