/** Shared helpers for the evaluator's tests: compile + run, returning plain data or a code. */
import { compile } from '../program.js';
import { plainToJson, toPlain } from '../convert.js';
import { KDict, type Value } from '../value.js';
import type { RunLimits } from '../api-types.js';

export interface Outcome {
  readonly value?: Record<string, unknown>;
  readonly code?: string;
  readonly line?: number;
  readonly printed: string;
}

/**
 * Runs on a clock that never moves unless the test passes its own `clock`: the work a program
 * does (steps, sizes), not how fast or busy this machine is, decides where a long run ends.
 */
const FROZEN_CLOCK = (): number => 0;

export function run(source: string, options: Record<string, Value> = {}, limits?: RunLimits): Outcome {
  const c = compile(source, 'main.k');
  if (!c.ok) return { code: c.diagnostics[0]!.code, line: c.diagnostics[0]!.span?.line, printed: '' };
  const r = c.program.run({ options, limits: { clock: FROZEN_CLOCK, ...limits } });
  if (!r.ok) return { code: r.diagnostic.code, line: r.diagnostic.span?.line, printed: r.printed };
  return { value: toPlain(new KDict(r.exports)) as Record<string, unknown>, printed: r.printed };
}

/** The exported values of a program that must succeed. */
export function value(source: string, options: Record<string, Value> = {}): Record<string, unknown> {
  const o = run(source, options);
  if (o.code) throw new Error(`expected success, got ${o.code} at line ${o.line}`);
  return o.value!;
}

/** The error code of a program that must fail. */
export function code(source: string, options: Record<string, Value> = {}, limits?: RunLimits): string {
  const o = run(source, options, limits);
  if (!o.code) throw new Error(`expected an error, got ${plainToJson(o.value).slice(0, 200)}`);
  return o.code;
}
