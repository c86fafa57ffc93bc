/**
 * The `datetime` system module (local time, like the reference's chrono::Local):
 *   today()  "%Y-%m-%d %H:%M:%S." followed by the epoch seconds (the reference's own format)
 *   now(fmt) strftime-formatted, default "%a %b %e %H:%M:%S %Y"
 *   ticks()  epoch seconds as a float; date() "%Y-%m-%d %H:%M:%S"
 *   validate(date, fmt) whether `date` parses with `fmt` (and is a real calendar date)
 * Policies that call these are not deterministic; tests check shapes only.
 */
import { NO_METER, type Meter } from '../budget.js';
import { regexFullMatch } from './regex-engine.js';
import { KFloat, KModule, type Value } from '../value.js';
import { member, type Args } from './args.js';

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

function offset(d: Date, colon: boolean): string {
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
}

/** chrono-style strftime for the common specifiers; unknown ones are kept as written. */
export function strftime(d: Date, format: string): string {
  const dayOfYear = Math.floor((Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) - Date.UTC(d.getFullYear(), 0, 1)) / 86400000) + 1;
  const h12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const spec: Record<string, () => string> = {
    Y: () => String(d.getFullYear()),
    C: () => pad(Math.floor(d.getFullYear() / 100)),
    y: () => pad(d.getFullYear() % 100),
    m: () => pad(d.getMonth() + 1),
    b: () => MONTHS[d.getMonth()].slice(0, 3),
    h: () => MONTHS[d.getMonth()].slice(0, 3),
    B: () => MONTHS[d.getMonth()],
    d: () => pad(d.getDate()),
    e: () => pad(d.getDate(), 2, ' '),
    a: () => DAYS[d.getDay()].slice(0, 3),
    A: () => DAYS[d.getDay()],
    w: () => String(d.getDay()),
    u: () => String(d.getDay() === 0 ? 7 : d.getDay()),
    j: () => pad(dayOfYear, 3),
    H: () => pad(d.getHours()),
    k: () => pad(d.getHours(), 2, ' '),
    I: () => pad(h12),
    l: () => pad(h12, 2, ' '),
    M: () => pad(d.getMinutes()),
    S: () => pad(d.getSeconds()),
    f: () => pad(d.getMilliseconds() * 1000000, 9),
    p: () => (d.getHours() < 12 ? 'AM' : 'PM'),
    P: () => (d.getHours() < 12 ? 'am' : 'pm'),
    z: () => offset(d, false),
    Z: () => (d.getTimezoneOffset() === 0 ? 'UTC' : offset(d, true)),
    s: () => String(Math.floor(d.getTime() / 1000)),
    T: () => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
    R: () => `${pad(d.getHours())}:${pad(d.getMinutes())}`,
    D: () => `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${pad(d.getFullYear() % 100)}`,
    F: () => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    n: () => '\n',
    t: () => '\t',
    '%': () => '%',
  };
  return format.replace(/%(\.f|.)/g, (whole, c: string) => {
    if (c === '.f') return `.${pad(d.getMilliseconds(), 3)}`;
    const f = spec[c];
    return f ? f() : whole;
  });
}

interface Field {
  pattern: string;
  key?: 'Y' | 'y' | 'm' | 'd' | 'H' | 'I' | 'M' | 'S' | 'b' | 'j';
}

const PARSE_FIELDS: Record<string, Field> = {
  Y: { pattern: '([+-]?[0-9]{4,})', key: 'Y' },
  y: { pattern: '([0-9]{2})', key: 'y' },
  m: { pattern: '([0-9]{1,2})', key: 'm' },
  d: { pattern: '([0-9]{1,2})', key: 'd' },
  e: { pattern: ' ?([0-9]{1,2})', key: 'd' },
  H: { pattern: '([0-9]{1,2})', key: 'H' },
  I: { pattern: '([0-9]{1,2})', key: 'I' },
  M: { pattern: '([0-9]{1,2})', key: 'M' },
  S: { pattern: '([0-9]{1,2})', key: 'S' },
  j: { pattern: '([0-9]{1,3})', key: 'j' },
  b: { pattern: '([A-Za-z]{3})', key: 'b' },
  h: { pattern: '([A-Za-z]{3})', key: 'b' },
  B: { pattern: '([A-Za-z]+)', key: 'b' },
  a: { pattern: '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)' },
  A: { pattern: '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)' },
  p: { pattern: '(?:AM|PM|am|pm)' },
  z: { pattern: '(?:[+-][0-9]{2}:?[0-9]{2}|Z)' },
  Z: { pattern: '(?:[A-Za-z]+)' },
  f: { pattern: '(?:[0-9]{1,9})' },
  '%': { pattern: '%' },
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether `text` matches `format` exactly and names a real date/time. The format comes from the
 * policy or the object, so its pattern runs on the linear-time engine, charged to `meter`.
 */
export function validateDate(text: string, format: string, meter: Meter = NO_METER): boolean {
  const expanded = format.replace(/%T/g, '%H:%M:%S').replace(/%F/g, '%Y-%m-%d').replace(/%D/g, '%m/%d/%y').replace(/%R/g, '%H:%M');
  const keys: (Field['key'] | undefined)[] = [];
  let source = '';
  for (let i = 0; i < expanded.length; i++) {
    if (expanded[i] === '%' && i + 1 < expanded.length) {
      const field = PARSE_FIELDS[expanded[i + 1]];
      if (!field) return false;
      source += field.pattern;
      if (field.key) keys.push(field.key);
      i++;
    } else {
      source += escapeRe(expanded[i]);
    }
  }
  const m = regexFullMatch(source, text, meter);
  if (!m) return false;
  const v: Partial<Record<NonNullable<Field['key']>, string>> = {};
  keys.forEach((k, i) => {
    if (k) v[k] = m[i + 1];
  });
  const num = (k: NonNullable<Field['key']>) => (v[k] === undefined ? undefined : Number(v[k]));
  const year = num('Y') ?? (v.y !== undefined ? 2000 + Number(v.y) : 1970);
  let month = num('m');
  if (v.b !== undefined) {
    const idx = MONTHS.findIndex((name) => name.toLowerCase().startsWith(v.b!.toLowerCase()) && (v.b!.length === 3 || name.toLowerCase() === v.b!.toLowerCase()));
    if (idx < 0) return false;
    month = idx + 1;
  }
  const day = num('d');
  if (month !== undefined && (month < 1 || month > 12)) return false;
  if (day !== undefined) {
    const daysInMonth = new Date(Date.UTC(year, month ?? 1, 0)).getUTCDate();
    if (day < 1 || day > daysInMonth) return false;
  }
  const hour = num('H');
  if (hour !== undefined && hour > 23) return false;
  const h12 = num('I');
  if (h12 !== undefined && (h12 < 1 || h12 > 12)) return false;
  const minute = num('M');
  if (minute !== undefined && minute > 59) return false;
  const second = num('S');
  if (second !== undefined && second > 60) return false;
  const doy = num('j');
  if (doy !== undefined && (doy < 1 || doy > 366)) return false;
  return true;
}

function now(): Date {
  return new Date();
}

export function datetimeModule(): KModule {
  return new KModule(
    'datetime',
    new Map<string, Value>([
      member('datetime', 'today', [], () => {
        const d = now();
        return `${strftime(d, '%Y-%m-%d %H:%M:%S')}.${Math.floor(d.getTime() / 1000)}`;
      }),
      member('datetime', 'now', ['format'], (a: Args) => strftime(now(), a.optStr(0, '%a %b %e %H:%M:%S %Y'))),
      member('datetime', 'ticks', [], () => new KFloat(Math.floor(Date.now() / 1000))),
      member('datetime', 'date', [], () => strftime(now(), '%Y-%m-%d %H:%M:%S')),
      member('datetime', 'validate', ['date', 'format'], (a) => validateDate(a.str(0), a.str(1), a.ctx)),
    ]),
  );
}
