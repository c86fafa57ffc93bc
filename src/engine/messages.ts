/**
 * Text the engine hands to the API server: warnings (single line, at most 256 characters, the
 * API server's limit per warning) and auditAnnotation keys (a qualified-name part, at most 63).
 */
import { createHash } from 'node:crypto';

export const MAX_WARNING_LENGTH = 256;

/** Collapses whitespace (newlines included) and truncates to the limit with an ellipsis. */
export function singleLine(text: string, max = MAX_WARNING_LENGTH): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
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
