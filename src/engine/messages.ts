/**
 * Text the engine hands to the API server: warnings (single line, at most 256 characters, the
 * API server's limit per warning) and auditAnnotation keys (a qualified-name part, at most 63).
 */
import { createHash } from 'node:crypto';

export const MAX_WARNING_LENGTH = 256;

/** Collapses whitespace (newlines included) and truncates to the limit with an ellipsis. */
export function singleLine(text: string, max = MAX_WARNING_LENGTH): string {
  return truncateRunes(text.replace(/\s+/g, ' ').trim(), max);
}

/**
 * At most maxRunes Unicode code points: a longer text keeps maxRunes - 1 of them and ends with
 * an ellipsis. Reads only as far as the limit, so a huge text costs no more than a short one.
 */
export function truncateRunes(text: string, maxRunes: number): string {
  // A text of at most maxRunes UTF-16 units has at most that many code points.
  if (text.length <= maxRunes) return text;
  let cut = 0;
  for (let i = 0, runes = 0; i < text.length; runes++) {
    if (runes === maxRunes - 1) cut = i;
    else if (runes === maxRunes) return `${text.slice(0, cut)}…`;
    i += text.codePointAt(i)! > 0xffff ? 2 : 1;
  }
  return text;
}

/** At most maxChars UTF-16 units, ending with an ellipsis when cut; never splits a surrogate pair. */
export function clipText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  let end = maxChars - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

const AUDIT_KEY = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/**
 * `<what>.<namespace>.<name>` (or `<what>.cluster.<name>`): `failed` for a failure under
 * failureAction warn, `violated` for a violation with validationActions Audit. A key that would
 * be too long or invalid becomes `<what>.<hash>` so it is still stable per policy.
 */
export function auditKey(policyKey: string, what: 'failed' | 'violated'): string {
  const readable = `${what}.${policyKey.replace('/', '.')}`;
  if (AUDIT_KEY.test(readable)) return readable;
  return `${what}.${createHash('sha256').update(policyKey).digest('hex').slice(0, 16)}`;
}

/** Double- or single-quoted string literals, with backslash escapes inside. */
const QUOTED_LITERAL = /"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g;

/**
 * Replaces every quoted literal with "<redacted>": a KCL error about a Secret may quote its data
 * (a union conflict cites both values). Over-redacting (an apostrophe pairing with a later quote)
 * is acceptable; leaking a value is not.
 */
export function redactQuotedLiterals(text: string): string {
  return text.replace(QUOTED_LITERAL, '"<redacted>"');
}
