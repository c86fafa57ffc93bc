/**
 * The API server's limits on AdmissionResponse warnings: each one a single line of at most 256
 * runes (Unicode code points), at most 4096 runes in all. Longer warnings are truncated with an
 * ellipsis; warnings past the total are replaced by one line saying how many were left out.
 */
import { truncateRunes } from '../engine/index.js';

export { truncateRunes };

export const MAX_WARNING_RUNES = 256;
export const MAX_TOTAL_WARNING_RUNES = 4096;

// C0/C1 controls and the Unicode line/paragraph separators would each break a warning in two.
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

// What a terminal acts on rather than prints, keeping newline and tab: C0/C1 controls (ESC
// sequences, CR, BEL) and the bidirectional overrides and isolates that reorder a line.
const TERMINAL_CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]+/g;

/** A multi-line message kubectl prints as it is: its lines kept, everything a terminal would obey made a space. */
export function withoutTerminalControls(text: string): string {
  return text.replace(TERMINAL_CONTROLS, ' ').replace(/ +\n/g, '\n').trim();
}

export function toSingleLine(text: string): string {
  return text.replace(LINE_BREAKING, ' ').replace(/ {2,}/g, ' ').trim();
}

export function runeLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function sanitizeWarnings(warnings: readonly string[]): string[] {
  const lines = warnings.map((w) => truncateRunes(toSingleLine(w), MAX_WARNING_RUNES)).filter((w) => w !== '');
  const kept: string[] = [];
  let total = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const length = runeLength(line);
    const omitted = lines.length - i - 1;
    // Keep room for the summary line whenever later warnings might not fit.
    const summaryRoom = omitted > 0 ? runeLength(omittedSummary(lines.length)) : 0;
    if (total + length + summaryRoom > MAX_TOTAL_WARNING_RUNES) {
      kept.push(omittedSummary(lines.length - i));
      return kept;
    }
    kept.push(line);
    total += length;
  }
  return kept;
}

function omittedSummary(count: number): string {
  return `${count} more warning${count === 1 ? '' : 's'} not shown (limit ${MAX_TOTAL_WARNING_RUNES} characters)`;
}
