/**
 * Work and size accounting for code that walks or builds values: the evaluator's operators, the
 * builtins and the text writers (display, JSON, YAML, plain output). A policy runs inside the
 * admission path, so every loop over elements or bytes charges the run, and every string is
 * measured *while* it is written, never after: a writer stops at the first byte past its limit.
 *
 * Units: a "byte" is a UTF-16 code unit (JavaScript's string length): one per ASCII character,
 * which is what Kubernetes objects are mostly made of, and what the string occupies in V8's
 * memory (one or two bytes per unit). Work is charged in steps: one per element visited and one
 * per BYTES_PER_STEP bytes written or scanned (see docs/kcl-language.md, "Guardrails").
 */
import { kclError, type KclError } from './diagnostics.js';
import type { Span } from './span.js';

/** What a walker charges its work to: the run (RunState, a builtin's context) or nothing. */
export interface Meter {
  /** Counts `n` steps of work; throws K9001 or K9003 when the step or time budget is spent. */
  step(n?: number): void;
}

/** A meter that counts nothing, for code running outside an evaluation (CLI output, tests). */
export const NO_METER: Meter = { step() {} };

/** Bytes of string work (copying, scanning, escaping) that cost one step. */
export const BYTES_PER_STEP = 256;

/**
 * Strings longer than this are charged by their length where an operation compares or hashes
 * them whole (`==`, a dict lookup by key): `===` reads every unit of two equal-length strings.
 * Shorter ones cost nothing beyond the operation's own step, so the common case pays only a
 * length check.
 */
export const LONG_STRING = 1024;

/**
 * Characters of per-character work done in JavaScript (a hash, a case test or case mapping of
 * each character, a character-by-character encoder) that cost one step: such work is ten to a
 * hundred times slower per character than a copy or a scan, and is charged accordingly.
 */
export const CHARS_PER_STEP = 16;

/** The steps for per-character work on `chars` characters (at least one). */
export function stepsForChars(chars: number): number {
  return chars < CHARS_PER_STEP ? 1 : Math.ceil(chars / CHARS_PER_STEP);
}

/** Charges `meter` for comparing or hashing a string of `length` units whole: nothing up to LONG_STRING. */
export function chargeWholeString(meter: Meter, length: number): void {
  if (length > LONG_STRING) meter.step(stepsForBytes(length));
}

/** Bytes charged to the allocation budget for each list element or dict entry created. */
export const ELEMENT_BYTES = 16;

/*
 * What a container built from text (json.decode, yaml.decode, regex matches) costs on the heap
 * beyond its elements. ELEMENT_BYTES alone missed it: `json.decode("[" + "{}," * 600000 + "{}]")`
 * (1.8 MB of text) was charged 9.6 MB and filled a worker's 128 MiB heap. Measured on Node 20
 * (x64, no pointer compression) by heap used after a full GC, per container retained, over
 * 200,000 of them (docs/kcl-language.md, "Guardrails"):
 *   - an empty KDict (the object, its Map and the Map's first table) 248 bytes, with one entry
 *     too; a Map entry 29 bytes when its table is full, up to twice that right after it grows;
 *   - an empty list 40 bytes; a list grown by push() keeps spare slots (V8 grows a backing store
 *     to 1.5 x + 16 slots): `[0]` 190 bytes, which is why the JSON decoder sizes its lists exactly;
 *   - js-yaml's own tree, alive while it is converted: a string scalar 34 bytes plus its text,
 *     a sequence 48 bytes plus 8 per spare-included slot, a mapping 66 bytes with one key and 88
 *     per key once it has many.
 */

/** An empty dict's own heap (248 bytes measured, see above). */
export const DICT_BYTES = 256;
/** Each entry of a dict built from text: its Map entry (29-58 bytes) and its key string's header. */
export const DICT_ENTRY_BYTES = 64;
/** An empty list's own heap (40 bytes measured); its slots are ELEMENT_BYTES each. */
export const LIST_BYTES = 48;

/**
 * A string's own heap beyond its characters: a short copy's header (16 bytes, padded to 8), or a
 * 32-byte slice of a longer string. Charged for each piece a builtin cuts out of a text it has
 * already paid for (regex matches and groups, split pieces).
 */
export const STRING_BYTES = 32;

/** What a builtin that also records its own data (the regex engine's matches) charges to. */
export interface AllocMeter extends Meter {
  /** Counts `bytes` against the run's allocation budget: K9004 beyond it. */
  allocate(bytes: number): void;
}

/** The allocation charge of a list or dict of `size` elements built from text (see checkContainer). */
export function containerBytes(kind: 'list' | 'dict', size: number): number {
  return kind === 'dict' ? DICT_BYTES + size * DICT_ENTRY_BYTES : LIST_BYTES + size * ELEMENT_BYTES;
}

/** The steps for scanning or copying `bytes` bytes (at least one). */
export function stepsForBytes(bytes: number): number {
  return bytes < BYTES_PER_STEP ? 1 : Math.ceil(bytes / BYTES_PER_STEP);
}

export function sizeError(what: string, size: number, limit: number, span?: Span): KclError {
  return kclError('K9004', `${what} of ${size} bytes exceeds the limit of ${limit} bytes`, span);
}

/**
 * The running size of one piece of text being written (a `str()`, a JSON or YAML document, the
 * plain output of a run). Writers call `add(n)` before appending n bytes; past `limit` it throws
 * K9004, so the oversized text is never built. One step is charged per BYTES_PER_STEP bytes and
 * one per `node()` (a value visited), so writing also counts against the step and time budgets.
 */
export class TextBudget {
  private used = 0;
  private unchargedBytes = 0;

  constructor(
    readonly limit: number,
    private readonly meter: Meter = NO_METER,
    private readonly what = 'string',
    private readonly span?: Span,
  ) {}

  /** Bytes counted so far. */
  get bytes(): number {
    return this.used;
  }

  add(n: number): void {
    this.used += n;
    if (this.used > this.limit) throw sizeError(this.what, this.used, this.limit, this.span);
    this.unchargedBytes += n;
    if (this.unchargedBytes >= BYTES_PER_STEP) {
      const steps = Math.floor(this.unchargedBytes / BYTES_PER_STEP);
      this.unchargedBytes -= steps * BYTES_PER_STEP;
      this.meter.step(steps);
    }
  }

  /** Checks that `n` more bytes would fit, without counting them (before costly formatting). */
  ensure(n: number): void {
    if (this.used + n > this.limit) throw sizeError(this.what, this.used + n, this.limit, this.span);
  }

  /** One value visited (a list element, a dict entry). */
  node(): void {
    this.meter.step(1);
  }

  /** Other work of the writer (sorting keys): `n` steps. */
  work(n: number): void {
    this.meter.step(n);
  }
}

/** A budget without a limit (output of `kclguard run` once the run is over, tests). */
export function unlimitedText(): TextBudget {
  return new TextBudget(Infinity);
}
