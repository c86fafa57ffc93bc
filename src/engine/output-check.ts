/**
 * What a program's exports must be before they leave the interpreter (issue 9, issue 11 item 4):
 * - at most MAX_OUTPUT_BYTES as JSON text — counted with every occurrence of a shared value, as
 *   the JSON (and the patch) would repeat it, and stopping as soon as the limit is crossed; a part
 *   that is, by identity, what the run's input held at the same place (the admitted object or any
 *   part of it the policy left as it was) is not counted again: each place holds one such part,
 *   so together they are bounded by the input, which the request size bounds;
 * - integers exact as JavaScript numbers. An int beyond ±2^53 that a double holds exactly — every
 *   such int that came in through the API server's JSON (it was parsed into a double), so an
 *   unchanged int64 field — stays in the output as that number; one that a double cannot hold (a
 *   value the policy computed) is a failure rather than a silently rounded number. Neither kind
 *   may reach the patch (run-job.ts): JSON would write it with other digits.
 */
import { plainJsonBytes } from '../kcl/index.js';
import { partAt } from './json-data.js';
import { MAX_OUTPUT_BYTES } from './limits.js';

export type OutputProblem = { readonly code: 'K9004' | 'E3K09'; readonly message: string };

type Container = Record<string, unknown> | unknown[];

class OutputWalk {
  bytes = 0;
  /**
   * The keys from the export down to the value being visited, for the one message that names
   * where it is: kept as a stack, so walking builds no path (nor a closure) per value.
   */
  private readonly keys: (string | number)[] = [];

  constructor(private readonly limit: number) {}

  /** `name.field[0].other`: where the value being visited is. */
  private path(): string {
    let out = String(this.keys[0]);
    for (let i = 1; i < this.keys.length; i++) {
      const key = this.keys[i]!;
      out += typeof key === 'number' ? `[${key}]` : `.${key}`;
    }
    return out;
  }

  /**
   * Walks the export `name` beside `before`, what the input held there; returns a problem, or
   * undefined. May replace representable bigints in place.
   */
  visitExport(name: string, value: unknown, before: unknown, holder: Container): OutputProblem | undefined {
    this.keys.length = 0;
    return this.visitAt(name, value, before, holder);
  }

  private visitAt(key: string | number, value: unknown, before: unknown, parent: Container): OutputProblem | undefined {
    this.keys.push(key);
    const problem = this.visit(value, before, parent, key);
    this.keys.pop();
    return problem;
  }

  private visit(value: unknown, before: unknown, parent: Container, key: string | number): OutputProblem | undefined {
    // The input's own part, where the input had it: plain JSON, already counted by the request.
    if (value === before && typeof value === 'object' && value !== null) return undefined;
    if (typeof value === 'bigint') {
      const asNumber = Number(value);
      if (BigInt(asNumber) !== value) {
        return { code: 'E3K09', message: `${this.path()} is an integer beyond ±2^53 that a JSON number cannot hold exactly, so kclguard cannot pass it back to the API server` };
      }
      // Only containers the conversion built afresh hold bigints (see the module comment).
      (parent as Record<string | number, unknown>)[key] = asNumber;
      return this.add(plainJsonBytes(asNumber));
    }
    if (value === null || typeof value !== 'object') return this.add(plainJsonBytes(value));
    if (Array.isArray(value)) {
      let problem = this.add(2);
      for (let i = 0; i < value.length && !problem; i++) problem = this.add(1) ?? this.visitAt(i, value[i], partAt(before, i), value);
      return problem;
    }
    let problem = this.add(2);
    const record = value as Record<string, unknown>;
    for (const name in record) {
      if (problem) break;
      if (!Object.hasOwn(record, name)) continue;
      problem = this.add(plainJsonBytes(name) + 2) ?? this.visitAt(name, record[name], partAt(before, name), record);
    }
    return problem;
  }

  private add(n: number): OutputProblem | undefined {
    this.bytes += n;
    return this.bytes > this.limit ? { code: 'K9004', message: `the output is larger than ${this.limit} bytes as JSON` } : undefined;
  }
}

/**
 * Checks the exports of one run (and makes representable bigints numbers). `inputs` holds, per
 * export name, what the run's input held under that name (the `items` list with the admitted
 * object): a part of an export that is, by identity, the input's part at the same place is not
 * counted.
 */
export function checkOutput(exports: ReadonlyMap<string, unknown>, inputs: Readonly<Record<string, unknown>>, limit = MAX_OUTPUT_BYTES): OutputProblem | undefined {
  const walk = new OutputWalk(limit);
  for (const [name, value] of exports) {
    const holder = { [name]: value };
    const problem = walk.visitExport(name, value, Object.hasOwn(inputs, name) ? inputs[name] : undefined, holder);
    if (problem) return problem;
    if (holder[name] !== value) (exports as Map<string, unknown>).set(name, holder[name]);
  }
  return undefined;
}
