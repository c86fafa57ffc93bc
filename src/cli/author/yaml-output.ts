/**
 * The YAML the command line prints (`eval`, `report`, `fn`): js-yaml's `dump`, with every string
 * that a YAML 1.1 reader would take for another type quoted.
 *
 * js-yaml writes YAML 1.2 and quotes a string only when its own (1.2 core) schema would read it as
 * something else — `'true'`, `'0x1F'`, `'1e3'` — plus, outside `noCompatMode`, a fixed list of
 * 1.1 booleans (`yes`, `On`, `n`, ... in three spellings each) and sexagesimal numbers (`1:20`).
 * Readers that follow YAML 1.1 — PyYAML, gopkg.in/yaml.v2 (and with it much of the Kubernetes
 * tooling) — resolve more: `1_000` is the int 1000, `0O17` and `0X1F` are ints for yaml.v2, `yEs`,
 * `.iNf` are quoted by nobody. An annotation value printed plain as `1_000` turns into a number
 * when such a tool reads it back.
 *
 * js-yaml quotes a string when any implicit type of the dump schema resolves it. The schema here
 * adds one implicit type that resolves exactly those 1.1 forms; it has no `predicate` or
 * `instanceOf`, so it never represents a value, and it is used only to dump (never to load).
 */
import yaml from 'js-yaml';

/** Numbers after removing every `_` (yaml.v2 does that; PyYAML allows `_` after the first digit). */
const NUMBER = /^[-+]?(?:0b[01]+|0o[0-7]+|0x[0-9a-f]+|[0-9]+(?:\.[0-9]*)?(?:e[-+]?[0-9]+)?|\.[0-9]+(?:e[-+]?[0-9]+)?)$/i;
/** Sexagesimal ints and floats (`1:20`, `190:20:30.15`). */
const SEXAGESIMAL = /^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$/;
/** Booleans, null, infinities and NaN in any case; the merge key `<<` and the value key `=`. */
const WORD = /^(?:y|n|yes|no|on|off|true|false|~|null|[-+]?\.inf|\.nan|<<|=)$/i;

/** Whether a YAML 1.1 reader (PyYAML, yaml.v2) resolves the plain scalar `s` to something other than a string. */
function yaml11ReadsAsNonString(s: string): boolean {
  if (s === '' || WORD.test(s) || SEXAGESIMAL.test(s)) return true;
  // PyYAML's int patterns take `0b` and `0x` followed by underscores alone (and then fail to
  // build the int); without the underscores nothing is left to read as a number.
  if (/^[-+]?0[bx]_+$/.test(s)) return true;
  return /^[-+]?[0-9.]|^[-+]_/.test(s) && NUMBER.test(s.replace(/_/g, ''));
}

const YAML_11_SCALARS = new yaml.Type('tag:kclguard.dev,2025:yaml-1.1-non-string', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && yaml11ReadsAsNonString(data),
});

const OUTPUT_SCHEMA = yaml.DEFAULT_SCHEMA.extend({ implicit: [YAML_11_SCALARS] });

/** `yaml.dump` as the command line prints: no line folding, no anchors, YAML 1.1-ambiguous strings quoted. */
export function dumpYaml(value: unknown): string {
  return yaml.dump(value, { lineWidth: -1, noRefs: true, schema: OUTPUT_SCHEMA });
}
