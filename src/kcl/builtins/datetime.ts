/**
 * The `datetime` system module (local time, like the reference's chrono::Local):
 *   today()  "%Y-%m-%d %H:%M:%S." followed by the epoch seconds (the reference's own format)
 *   now(fmt) strftime-formatted, default "%a %b %e %H:%M:%S %Y"
 *   ticks()  epoch seconds as a float; date() "%Y-%m-%d %H:%M:%S"
 *   validate(date, fmt) whether chrono parses `date` with `fmt` into a date, a time or both
 * Policies that call these are not deterministic; tests check shapes only.
 */
import { NO_METER, stepsForChars, type Meter } from '../budget.js';
import { chronoValidate } from './datetime-parse.js';
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

/**
 * Whether `text` parses with the strftime `format` the way the reference's `datetime.validate`
 * decides it (chrono's parser; see datetime-parse.ts). The format and the text come from the
 * policy or the object: the check is linear in both, and is charged to `meter` by their length.
 */
export function validateDate(text: string, format: string, meter: Meter = NO_METER): boolean {
  meter.step(stepsForChars(format.length + text.length));
  return chronoValidate(text, format);
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
