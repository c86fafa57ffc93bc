/**
 * `datetime.validate(date, format)` as the reference answers it. kcl-lib 0.13.2 (chrono 0.4.45)
 * returns whether any of chrono's `NaiveDateTime::parse_from_str`, `NaiveDate::parse_from_str`
 * or `NaiveTime::parse_from_str` accepts the text, so this is a port of chrono's strftime
 * parser (`format::strftime`, `format::parse`, `format::scan`) and of its resolution
 * (`Parsed::to_naive_date`, `to_naive_time`, `to_naive_datetime_with_offset`):
 *
 * - The format becomes items: whitespace runs match any run of whitespace (also none), other
 *   text matches itself exactly, `%` specifiers read numbers, names, offsets. An unknown
 *   specifier (or a padding modifier on a non-number) makes every text invalid.
 * - Numbers skip leading whitespace and read at most their width in ASCII digits (`%Y` four,
 *   `%m` two, `%j` three ...), so `2024015` is `%Y%m%d`. A year of more digits, or a negative
 *   one, needs a sign (`+10000`, `-0001`).
 * - Each field is range-checked when read; a field read twice must agree (`%Y ... %Y`).
 * - The fields must then make a whole date (year with month and day, with day of year, with
 *   week and weekday, or ISO year, week and weekday) or a whole time (hour, which `%I` gives only
 *   with `%p`, and minute), or a timestamp (`%s`). Every other field given must agree with the
 *   date: the weekday, the day of year, the week numbers, the quarter, `%C`/`%y` with `%Y`.
 * - Nothing may follow the last item.
 *
 * Linear in the lengths of the text and the format: each item reads forward from where the
 * previous one stopped, and the resolution is constant work.
 */
import { fromEpochDay, I32_MAX, inRange, toDate, toTime } from './datetime-resolve.js';

/** Rust's `char::is_whitespace` (Unicode White_Space), which chrono's parser skips. */
function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

type NumKind =
  | 'year'
  | 'yearDiv100'
  | 'yearMod100'
  | 'isoYear'
  | 'isoYearDiv100'
  | 'isoYearMod100'
  | 'quarter'
  | 'month'
  | 'day'
  | 'weekFromSun'
  | 'weekFromMon'
  | 'isoWeek'
  | 'numDaysFromSun'
  | 'weekdayFromMon'
  | 'ordinal'
  | 'hour'
  | 'hour12'
  | 'minute'
  | 'second'
  | 'nanosecond'
  | 'timestamp';

type FixedKind =
  | 'shortMonth'
  | 'longMonth'
  | 'shortWeekday'
  | 'longWeekday'
  | 'ampm'
  | 'fraction' // %.f: an optional "." and 1 to 9 digits (more are skipped)
  | 'dotFraction3'
  | 'dotFraction6'
  | 'dotFraction9' // %.3f %.6f %.9f: an optional "." and exactly that many digits
  | 'fraction3'
  | 'fraction6'
  | 'fraction9' // %3f %6f %9f: exactly that many digits, no dot
  | 'tzName'
  | 'tzOffset'
  | 'tzOffsetPermissive'
  | 'rfc3339';

type Item = { k: 'lit'; s: string } | { k: 'space' } | { k: 'num'; n: NumKind } | { k: 'fixed'; f: FixedKind };

/** Digits read without a sign (chrono's intrinsic widths); `Infinity` reads every digit. */
const WIDTH: Record<NumKind, number> = {
  year: 4,
  yearDiv100: 2,
  yearMod100: 2,
  isoYear: 4,
  isoYearDiv100: 2,
  isoYearMod100: 2,
  quarter: 1,
  month: 2,
  day: 2,
  weekFromSun: 2,
  weekFromMon: 2,
  isoWeek: 2,
  numDaysFromSun: 1,
  weekdayFromMon: 1,
  ordinal: 3,
  hour: 2,
  hour12: 2,
  minute: 2,
  second: 2,
  nanosecond: 9,
  timestamp: Infinity,
};

const num = (n: NumKind): Item => ({ k: 'num', n });
const fixed = (f: FixedKind): Item => ({ k: 'fixed', f });
const lit = (s: string): Item => ({ k: 'lit', s });
const SPACE: Item = { k: 'space' };

/** Specifiers that stand for several items (chrono's non-locale D_FMT, T_FMT, D_T_FMT ...). */
const COMPOSITE: Record<string, Item[]> = {
  D: [num('month'), lit('/'), num('day'), lit('/'), num('yearMod100')],
  x: [num('month'), lit('/'), num('day'), lit('/'), num('yearMod100')],
  F: [num('year'), lit('-'), num('month'), lit('-'), num('day')],
  v: [num('day'), lit('-'), fixed('shortMonth'), lit('-'), num('year')],
  R: [num('hour'), lit(':'), num('minute')],
  T: [num('hour'), lit(':'), num('minute'), lit(':'), num('second')],
  X: [num('hour'), lit(':'), num('minute'), lit(':'), num('second')],
  r: [num('hour12'), lit(':'), num('minute'), lit(':'), num('second'), SPACE, fixed('ampm')],
  c: [fixed('shortWeekday'), SPACE, fixed('shortMonth'), SPACE, num('day'), SPACE, num('hour'), lit(':'), num('minute'), lit(':'), num('second'), SPACE, num('year')],
};

const SINGLE: Record<string, Item> = {
  A: fixed('longWeekday'),
  B: fixed('longMonth'),
  C: num('yearDiv100'),
  G: num('isoYear'),
  H: num('hour'),
  I: num('hour12'),
  M: num('minute'),
  P: fixed('ampm'),
  S: num('second'),
  U: num('weekFromSun'),
  V: num('isoWeek'),
  W: num('weekFromMon'),
  Y: num('year'),
  Z: fixed('tzName'),
  a: fixed('shortWeekday'),
  b: fixed('shortMonth'),
  h: fixed('shortMonth'),
  d: num('day'),
  e: num('day'),
  f: num('nanosecond'),
  g: num('isoYearMod100'),
  j: num('ordinal'),
  k: num('hour'),
  l: num('hour12'),
  m: num('month'),
  n: SPACE,
  p: fixed('ampm'),
  q: num('quarter'),
  s: num('timestamp'),
  t: SPACE,
  u: num('weekdayFromMon'),
  w: num('numDaysFromSun'),
  y: num('yearMod100'),
  z: fixed('tzOffset'),
  '+': fixed('rfc3339'),
  '%': lit('%'),
};

/** chrono's StrftimeItems: the items of `format`, or undefined when it holds an invalid specifier. */
function compileFormat(format: string): Item[] | undefined {
  const items: Item[] = [];
  let i = 0;
  const n = format.length;
  while (i < n) {
    const c = format.charCodeAt(i);
    if (c === 0x25 /* % */) {
      i++;
      if (i >= n) return undefined;
      let spec = format[i++];
      const pad = spec === '-' || spec === '0' || spec === '_';
      const alternate = spec === '#';
      if (pad || alternate) {
        if (i >= n) return undefined;
        spec = format[i++];
      }
      if (alternate) {
        if (spec !== 'z') return undefined;
        items.push(fixed('tzOffsetPermissive'));
        continue;
      }
      let item: Item | undefined = SINGLE[spec];
      const several: Item[] | undefined = COMPOSITE[spec];
      if (spec === ':') {
        // %:z %::z %:::z parse as %z does
        if (format.startsWith('::z', i)) i += 3;
        else if (format.startsWith(':z', i)) i += 2;
        else if (format.startsWith('z', i)) i += 1;
        else return undefined;
        item = fixed('tzOffset');
      } else if (spec === '.') {
        if (format.startsWith('f', i)) {
          i += 1;
          item = fixed('fraction');
        } else if (format.startsWith('3f', i) || format.startsWith('6f', i) || format.startsWith('9f', i)) {
          item = fixed(format[i] === '3' ? 'dotFraction3' : format[i] === '6' ? 'dotFraction6' : 'dotFraction9');
          i += 2;
        } else {
          return undefined;
        }
      } else if (spec === '3' || spec === '6' || spec === '9') {
        if (!format.startsWith('f', i)) return undefined;
        i += 1;
        item = fixed(spec === '3' ? 'fraction3' : spec === '6' ? 'fraction6' : 'fraction9');
      }
      if (several) {
        if (pad) return undefined;
        items.push(...several);
        continue;
      }
      if (!item) return undefined;
      // A padding modifier is allowed on numbers only, and parsing ignores it.
      if (pad && item.k !== 'num') return undefined;
      items.push(item);
    } else if (isSpace(c)) {
      while (i < n && isSpace(format.charCodeAt(i))) i++;
      items.push(SPACE);
    } else {
      const start = i;
      while (i < n && format.charCodeAt(i) !== 0x25 && !isSpace(format.charCodeAt(i))) i++;
      items.push(lit(format.slice(start, i)));
    }
  }
  return items;
}

/** The fields read so far (chrono's Parsed); undefined = not given. */
export interface Parsed {
  year?: number;
  yearDiv100?: number;
  yearMod100?: number;
  isoYear?: number;
  isoYearDiv100?: number;
  isoYearMod100?: number;
  quarter?: number;
  month?: number;
  weekFromSun?: number;
  weekFromMon?: number;
  isoWeek?: number;
  /** 0 = Monday ... 6 = Sunday */
  weekday?: number;
  ordinal?: number;
  day?: number;
  hourDiv12?: number;
  hourMod12?: number;
  minute?: number;
  second?: number;
  nanosecond?: number;
  timestamp?: number;
  offset?: number;
}

type FieldName = keyof Parsed;

/** Sets a field: false when it already holds another value (chrono's IMPOSSIBLE). */
function setField(p: Parsed, field: FieldName, value: number): boolean {
  const old = p[field];
  if (old !== undefined && old !== value) return false;
  p[field] = value;
  return true;
}

/** chrono's Parsed::set_* for a number item: the range check, then setField. */
function setNumber(p: Parsed, kind: NumKind, v: number): boolean {
  switch (kind) {
    case 'year':
      return inRange(v, -I32_MAX - 1, I32_MAX) && setField(p, 'year', v);
    case 'isoYear':
      return inRange(v, -I32_MAX - 1, I32_MAX) && setField(p, 'isoYear', v);
    case 'yearDiv100':
      return inRange(v, 0, I32_MAX) && setField(p, 'yearDiv100', v);
    case 'isoYearDiv100':
      return inRange(v, 0, I32_MAX) && setField(p, 'isoYearDiv100', v);
    case 'yearMod100':
      return inRange(v, 0, 99) && setField(p, 'yearMod100', v);
    case 'isoYearMod100':
      return inRange(v, 0, 99) && setField(p, 'isoYearMod100', v);
    case 'quarter':
      return inRange(v, 1, 4) && setField(p, 'quarter', v);
    case 'month':
      return inRange(v, 1, 12) && setField(p, 'month', v);
    case 'weekFromSun':
      return inRange(v, 0, 53) && setField(p, 'weekFromSun', v);
    case 'weekFromMon':
      return inRange(v, 0, 53) && setField(p, 'weekFromMon', v);
    case 'isoWeek':
      return inRange(v, 1, 53) && setField(p, 'isoWeek', v);
    case 'numDaysFromSun':
      return inRange(v, 0, 6) && setField(p, 'weekday', (v + 6) % 7);
    case 'weekdayFromMon':
      return inRange(v, 1, 7) && setField(p, 'weekday', v - 1);
    case 'ordinal':
      return inRange(v, 1, 366) && setField(p, 'ordinal', v);
    case 'day':
      return inRange(v, 1, 31) && setField(p, 'day', v);
    case 'hour':
      return inRange(v, 0, 23) && setField(p, 'hourDiv12', v >= 12 ? 1 : 0) && setField(p, 'hourMod12', v % 12);
    case 'hour12':
      return inRange(v, 1, 12) && setField(p, 'hourMod12', v % 12);
    case 'minute':
      return inRange(v, 0, 59) && setField(p, 'minute', v);
    case 'second':
      return inRange(v, 0, 60) && setField(p, 'second', v);
    case 'nanosecond':
      return inRange(v, 0, 999_999_999) && setField(p, 'nanosecond', v);
    case 'timestamp':
      return setField(p, 'timestamp', v);
  }
}

const MONTH_PREFIXES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_SUFFIXES = ['uary', 'ruary', 'ch', 'il', '', 'e', 'y', 'ust', 'tember', 'ober', 'ember', 'ember'];
const WEEKDAY_PREFIXES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const WEEKDAY_SUFFIXES = ['day', 'sday', 'nesday', 'rsday', 'day', 'urday', 'day'];

/** The text, the read position and the fields: one parse. */
class Scanner {
  pos = 0;
  constructor(
    readonly s: string,
    readonly p: Parsed,
  ) {}

  skipSpace(): void {
    const s = this.s;
    while (this.pos < s.length && isSpace(s.charCodeAt(this.pos))) this.pos++;
  }

  /** scan::number: min..max ASCII digits; undefined when fewer than min, or past i64. */
  number(min: number, max: number): number | undefined {
    const s = this.s;
    let v = 0;
    let count = 0;
    while (count < max && this.pos + count < s.length && isDigit(s.charCodeAt(this.pos + count))) {
      v = v * 10 + (s.charCodeAt(this.pos + count) - 0x30);
      count++;
    }
    if (count < min) return undefined;
    // chrono reads into an i64 and fails past i64::MAX. Only %s and a signed %Y read that many
    // digits; their checks fail far below 2^53, so an imprecise value here is never accepted.
    if (count >= 19) {
      let first = this.pos;
      while (first < this.pos + count - 1 && s.charCodeAt(first) === 0x30) first++;
      const digits = s.slice(first, this.pos + count);
      if (digits.length > 19 || (digits.length === 19 && digits > '9223372036854775807')) return undefined;
    }
    this.pos += count;
    return v;
  }

  /** The next three characters as an ASCII-lowercased string (chrono's `| 32` on bytes). */
  private lower3(): string | undefined {
    if (this.pos + 3 > this.s.length) return undefined;
    let out = '';
    for (let k = 0; k < 3; k++) {
      const c = this.s.charCodeAt(this.pos + k);
      if (c > 0x7f) return undefined;
      out += String.fromCharCode(c | 32);
    }
    return out;
  }

  /** Consumes `suffix` case-insensitively (ASCII) when it is next. */
  private optionalSuffix(suffix: string): void {
    if (this.pos + suffix.length > this.s.length) return;
    for (let k = 0; k < suffix.length; k++) {
      const c = this.s.charCodeAt(this.pos + k);
      const lower = c >= 0x41 && c <= 0x5a ? c + 32 : c;
      if (lower !== suffix.charCodeAt(k)) return;
    }
    this.pos += suffix.length;
  }

  month0(long: boolean): number | undefined {
    const m = MONTH_PREFIXES.indexOf(this.lower3() ?? '');
    if (m < 0) return undefined;
    this.pos += 3;
    if (long) this.optionalSuffix(MONTH_SUFFIXES[m]);
    return m;
  }

  weekday(long: boolean): number | undefined {
    const w = WEEKDAY_PREFIXES.indexOf(this.lower3() ?? '');
    if (w < 0) return undefined;
    this.pos += 3;
    if (long) this.optionalSuffix(WEEKDAY_SUFFIXES[w]);
    return w;
  }

  /** scan::nanosecond: 1..9 digits scaled to nanoseconds, further digits skipped. */
  fraction(): number | undefined {
    const start = this.pos;
    const v = this.number(1, 9);
    if (v === undefined) return undefined;
    const nano = v * 10 ** (9 - (this.pos - start));
    while (this.pos < this.s.length && isDigit(this.s.charCodeAt(this.pos))) this.pos++;
    return nano;
  }

  /**
   * scan::timezone_offset with colon_or_space between hours and minutes, a "-" or U+2212 minus:
   * `+HH[: ]*MM`, or with `permissive` also `Z`/`z` and `+HH` alone.
   */
  tzOffset(permissive: boolean): number | undefined {
    const s = this.s;
    if (permissive && (s[this.pos] === 'Z' || s[this.pos] === 'z')) {
      this.pos++;
      return 0;
    }
    const sign = s[this.pos];
    if (sign !== '+' && sign !== '-' && sign !== '\u2212') return undefined;
    this.pos++;
    // chrono compares bytes: a two-byte test on the rest of the text (UTF-8 length)
    const twoBytes = () => this.pos < s.length && (this.pos + 1 < s.length || s.charCodeAt(this.pos) > 0x7f);
    if (!twoBytes() || !isDigit(s.charCodeAt(this.pos)) || !isDigit(s.charCodeAt(this.pos + 1))) return undefined;
    const hours = Number(s.slice(this.pos, this.pos + 2));
    this.pos += 2;
    while (this.pos < s.length && (s[this.pos] === ':' || isSpace(s.charCodeAt(this.pos)))) this.pos++;
    let minutes = 0;
    if (twoBytes()) {
      const m1 = s.charCodeAt(this.pos);
      const m2 = s.charCodeAt(this.pos + 1);
      if (!(m1 >= 0x30 && m1 <= 0x35 && isDigit(m2))) return undefined;
      minutes = (m1 - 0x30) * 10 + (m2 - 0x30);
      this.pos += 2;
    } else if (!permissive || this.pos < s.length) {
      return undefined;
    }
    const seconds = hours * 3600 + minutes * 60;
    return sign === '+' ? seconds : -seconds;
  }
}

/** chrono's parse_internal: reads every item; false on the first that does not match. */
function parseItems(sc: Scanner, items: readonly Item[]): boolean {
  const { s, p } = sc;
  for (const item of items) {
    switch (item.k) {
      case 'lit':
        if (!s.startsWith(item.s, sc.pos)) return false;
        sc.pos += item.s.length;
        break;
      case 'space':
        sc.skipSpace();
        break;
      case 'num': {
        sc.skipSpace();
        let v: number | undefined;
        const signed = item.n === 'year' || item.n === 'isoYear';
        const c = s[sc.pos];
        if (signed && (c === '-' || c === '+')) {
          sc.pos++;
          v = sc.number(1, Infinity);
          if (v !== undefined && c === '-') v = -v;
        } else {
          v = sc.number(1, WIDTH[item.n]);
        }
        if (v === undefined || !setNumber(p, item.n, v)) return false;
        break;
      }
      case 'fixed':
        if (!parseFixed(sc, item.f)) return false;
        break;
    }
  }
  return true;
}

const RFC3339_DATE: Item[] = [num('year'), SPACE, lit('-'), num('month'), SPACE, lit('-'), num('day')];
const RFC3339_TIME: Item[] = [num('hour'), SPACE, lit(':'), num('minute'), SPACE, lit(':'), num('second'), fixed('fraction'), SPACE];

function parseFixed(sc: Scanner, f: FixedKind): boolean {
  const { s, p } = sc;
  switch (f) {
    case 'shortMonth':
    case 'longMonth': {
      const m = sc.month0(f === 'longMonth');
      return m !== undefined && setField(p, 'month', m + 1);
    }
    case 'shortWeekday':
    case 'longWeekday': {
      const w = sc.weekday(f === 'longWeekday');
      return w !== undefined && setField(p, 'weekday', w);
    }
    case 'ampm': {
      const two = s.slice(sc.pos, sc.pos + 2).toLowerCase();
      const c0 = s.charCodeAt(sc.pos);
      const c1 = s.charCodeAt(sc.pos + 1);
      if (!(c0 <= 0x7f && c1 <= 0x7f) || (two !== 'am' && two !== 'pm')) return false;
      sc.pos += 2;
      return setField(p, 'hourDiv12', two === 'pm' ? 1 : 0);
    }
    case 'fraction': {
      if (s[sc.pos] !== '.') return true;
      sc.pos++;
      const nano = sc.fraction();
      return nano !== undefined && setField(p, 'nanosecond', nano);
    }
    case 'dotFraction3':
    case 'dotFraction6':
    case 'dotFraction9':
      if (s[sc.pos] !== '.') return true;
      sc.pos++;
      return parseFixed(sc, f === 'dotFraction3' ? 'fraction3' : f === 'dotFraction6' ? 'fraction6' : 'fraction9');
    case 'fraction3':
    case 'fraction6':
    case 'fraction9': {
      const digits = f === 'fraction3' ? 3 : f === 'fraction6' ? 6 : 9;
      const v = sc.number(digits, digits);
      return v !== undefined && setField(p, 'nanosecond', v * 10 ** (9 - digits));
    }
    case 'tzName':
      while (sc.pos < s.length && !isSpace(s.charCodeAt(sc.pos))) sc.pos++;
      return true;
    case 'tzOffset':
    case 'tzOffsetPermissive': {
      sc.skipSpace();
      const off = sc.tzOffset(f === 'tzOffsetPermissive');
      return off !== undefined && setField(p, 'offset', off);
    }
    case 'rfc3339': {
      if (!parseItems(sc, RFC3339_DATE)) return false;
      const sep = s[sc.pos];
      if (sep !== 'T' && sep !== 't' && sep !== ' ') return false;
      sc.pos++;
      if (!parseItems(sc, RFC3339_TIME)) return false;
      sc.skipSpace();
      let off: number | undefined;
      if (s.slice(sc.pos, sc.pos + 3).toUpperCase() === 'UTC' && s.charCodeAt(sc.pos + 2) <= 0x7f) {
        sc.pos += 3;
        off = 0;
      } else {
        off = sc.tzOffset(false);
        if (off === undefined && (s[sc.pos] === 'Z' || s[sc.pos] === 'z')) {
          sc.pos++;
          off = 0;
        }
      }
      return off !== undefined && setField(p, 'offset', off);
    }
  }
}

// ---- the calendar (proleptic Gregorian, chrono's NaiveDate range) ----

/** Parsed::to_naive_datetime_with_offset(0): whether date and time, or a timestamp, resolve. */
function toDateTime(p: Parsed): boolean {
  const date = toDate(p);
  const time = toTime(p);
  if (typeof date !== 'string' && typeof time !== 'string') {
    if (p.timestamp === undefined) return true;
    const [h, mi, sec] = time;
    const leap = sec === 60;
    const ts = date.epochDay * 86400 + h * 3600 + mi * 60 + (leap ? 59 : sec);
    return p.timestamp === ts || (leap && p.timestamp === ts + 1);
  }
  if (p.timestamp === undefined) return false;
  if (date === 'outOfRange' || time === 'outOfRange' || date === 'impossible' || time === 'impossible') return false;
  // Rebuild the date and time from the timestamp, then check the other fields agree.
  let ts = p.timestamp;
  const secondOf = (t: number) => ((t % 60) + 60) % 60;
  const q: Parsed = { ...p };
  if (q.second === 60) {
    if (secondOf(ts) === 0) ts -= 1;
    else if (secondOf(ts) !== 59) return false;
  } else if (!setField(q, 'second', secondOf(ts))) {
    return false;
  }
  const d = fromEpochDay(Math.floor(ts / 86400));
  if (!d) return false;
  const secOfDay = ts - Math.floor(ts / 86400) * 86400;
  const ok =
    setNumber(q, 'year', d.year) &&
    setNumber(q, 'ordinal', d.ordinal) &&
    setNumber(q, 'hour', Math.floor(secOfDay / 3600)) &&
    setNumber(q, 'minute', Math.floor(secOfDay / 60) % 60);
  return ok && typeof toDate(q) !== 'string' && typeof toTime(q) !== 'string';
}

/**
 * Whether chrono's NaiveDateTime, NaiveDate or NaiveTime `parse_from_str(text, format)` succeeds,
 * which is what the reference's `datetime.validate` answers.
 */
export function chronoValidate(text: string, format: string): boolean {
  const items = compileFormat(format);
  if (!items) return false;
  const p: Parsed = {};
  const sc = new Scanner(text, p);
  if (!parseItems(sc, items) || sc.pos !== text.length) return false;
  return toDateTime(p) || typeof toDate(p) !== 'string' || typeof toTime(p) !== 'string';
}
