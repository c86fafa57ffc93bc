/**
 * What the reference does with the values a main module contributes to its output: the config
 * values of top-level expression statements and the exported variables, unified in statement
 * order into one document. Only configs unify; any other value (a scalar, a list, a function)
 * next to another contribution is a conflict, reported at the later of the two statements.
 * A lone non-config expression value is the whole output (handled by the caller).
 */
import type { Span } from '../span.js';
import { shortDisplay } from '../display.js';
import type { Value } from '../value.js';
import { evalError } from './errors.js';
import { isConfig } from './union.js';

/** One contribution to the output: an expression statement's value, or an exported variable. */
export interface OutputPart {
  readonly span: Span;
  /** Undefined for an exported variable: the variables together form one config. */
  readonly value?: Value;
}

const before = (a: Span, b: Span): number => a.line - b.line || a.col - b.col;

/** Throws the reference's conflict when a non-config value shares the output with anything. */
export function checkOutputParts(parts: readonly OutputPart[]): void {
  if (parts.length < 2) return;
  const ordered = [...parts].sort((a, b) => before(a.span, b.span));
  const configLike = (p: OutputPart): boolean => p.value === undefined || isConfig(p.value);
  for (let i = 1; i < ordered.length; i++) {
    const prev = ordered[i - 1]!;
    const part = ordered[i]!;
    if (configLike(prev) && configLike(part)) continue;
    const show = (p: OutputPart): string => (p.value === undefined ? '{...}' : shortDisplay(p.value));
    throw evalError(`conflicting values between ${show(prev)} and ${show(part)}`, part.span);
  }
}
