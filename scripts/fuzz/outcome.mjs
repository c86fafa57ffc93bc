/**
 * kclguard's side of the differential fuzzer, and the comparison of both sides' outcomes, with
 * the conformance corpus's rules (docs/conformance.md): outputs are compared as parsed YAML
 * (key order counts, `2.0` is not `2`, `print()` text must match exactly); errors by code, a
 * runtime error of the reference (printed without a code) matching any E3xxx code of ours.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const kcl = await import(join(ROOT, 'dist', 'kcl', 'index.js'));

/** Limits well above what generated programs need, so only a runaway program hits one. */
const LIMITS = { maxSteps: 2_000_000, timeoutMs: 5_000 };

/** Runs a program through kclguard: `{ok, output}` or `{ok: false, error: {code, line, col}}`. */
export function runOurs(source) {
  const compiled = kcl.compile(source, 'main.k');
  if (!compiled.ok) return { ok: false, phase: 'compile', error: errorOf(compiled.diagnostics[0]) };
  const result = compiled.program.run({ limits: LIMITS });
  if (!result.ok) return { ok: false, phase: 'run', error: errorOf(result.diagnostic) };
  return { ok: true, output: result.printed + kcl.renderRunOutput(result) };
}

function errorOf(d) {
  return { code: d.code, message: d.message, line: d.span?.line, col: d.span?.col };
}

// ---------------------------------------------------------------- YAML as the corpus compares it

const core = yaml.types;
const FLOAT = Symbol('float');
const taggedFloat = new yaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data) => core.float.resolve(data),
  construct: (data) => ({ [FLOAT]: String(core.float.construct(data)) }),
});
const exactInt = new yaml.Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data) => core.int.resolve(data),
  construct: (data) => {
    const n = core.int.construct(data);
    return Number.isSafeInteger(n) ? n : { exactInt: data.replace(/_/g, '') };
  },
});
const SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: [core.null, core.bool, exactInt, taggedFloat] });

function canonical(text) {
  const docs = yaml.loadAll(text, undefined, { schema: SCHEMA }).filter((d) => d !== undefined && d !== null);
  const empty = docs.length === 1 && typeof docs[0] === 'object' && !Array.isArray(docs[0]) && Object.keys(docs[0]).length === 0;
  return JSON.stringify(empty ? [] : docs, (_, v) => (v && typeof v === 'object' && FLOAT in v ? `float:${v[FLOAT]}` : v));
}

/** Whether our output equals the reference's: print() text exactly, then the YAML documents. */
export function sameOutput(reference, ours) {
  const printed = printedPrefix(reference, ours);
  if (printed === undefined) return false;
  try {
    return canonical(reference.slice(printed.length)) === canonical(ours.slice(printed.length));
  } catch {
    return false;
  }
}

/** The print() text both start with, taken from ours (the YAML part follows it). */
function printedPrefix(reference, ours) {
  for (let cut = ours.length; cut >= 0; cut = ours.lastIndexOf('\n', cut - 1)) {
    const prefix = ours.slice(0, cut === ours.length ? cut : cut + 1);
    if (reference.startsWith(prefix)) return prefix;
    if (cut <= 0) break;
  }
  return '';
}

/**
 * The verdict for one program:
 *   valid-same / valid-differs / valid-refused      the reference accepted it
 *   error-same / error-differs / error-missed       the reference refused it
 *   reference-hung                                  the reference did not finish (not counted)
 */
export function judge(ref, ours) {
  if (ref.hung) return { verdict: 'reference-hung' };
  if (ref.ok) {
    if (!ours.ok) return { verdict: 'valid-refused', detail: `${ours.error.code} at ${ours.error.line}: ${ours.error.message}` };
    return sameOutput(ref.output, ours.output) ? { verdict: 'valid-same' } : { verdict: 'valid-differs' };
  }
  const first = ref.errors[0];
  if (ours.ok) return { verdict: 'error-missed', detail: `reference ${first.code ?? first.kind}` };
  const code = ours.error.code;
  const same = first.code ? first.code === code : code.startsWith('E3');
  return same
    ? { verdict: 'error-same' }
    : { verdict: 'error-differs', detail: `reference ${first.code ?? first.kind}, ours ${code}: ${ours.error.message}` };
}

/** The class of a divergence a reduced program must keep (what makes it the same bug). */
export function divergenceClass(ref, ours) {
  const j = judge(ref, ours);
  if (j.verdict === 'error-differs') return `${j.verdict}:${ref.errors[0].code ?? 'runtime'}:${ours.error.code}`;
  if (j.verdict === 'valid-refused') return `${j.verdict}:${ours.error.code}`;
  if (j.verdict === 'error-missed') return `${j.verdict}:${ref.errors[0].code ?? 'runtime'}`;
  return j.verdict;
}
