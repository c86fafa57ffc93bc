/**
 * Small helpers that build the evaluator's diagnostics, so throw sites stay one line and the
 * codes used for each kind of failure live in one place.
 */
import { kclError, type ErrorCode, KclError } from '../diagnostics.js';
import type { Span } from '../span.js';

/** Errors whose span is already the one the reference reports (not moved to the statement). */
export const locatedErrors = new WeakSet<KclError>();

export function locatedError(e: KclError): KclError {
  locatedErrors.add(e);
  return e;
}

export function evalError(message: string, span: Span | undefined): KclError {
  return kclError('E3M38', message, span);
}

export function typeError(message: string, span: Span | undefined): KclError {
  return kclError('E2G22', message, span);
}

export function compileError(message: string, span: Span | undefined): KclError {
  return kclError('E2L23', message, span);
}

export function errorWith(code: ErrorCode, message: string, span: Span | undefined): KclError {
  return kclError(code, message, span);
}
