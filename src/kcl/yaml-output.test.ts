import { describe, expect, test } from '@jest/globals';
import { renderExports, renderYaml, renderYamlAll, renderYamlStream } from './yaml-output.js';
import { KDict, KFloat, KUnit, type Value } from './value.js';
import { YAML_CASES } from './yaml-output.cases.js';
import { fromSpec } from './builtins/test-support.js';

describe('kcl run YAML output matches the reference', () => {
  for (const c of YAML_CASES) {
    test(c.name, () => {
      const exports = new Map<string, Value>();
      for (const [k, v] of (c.exports as { $d: [string, unknown][] }).$d) {
        // `kcl run` hides top-level `_` names unless show_hidden, and drops Undefined/functions.
        if (k.startsWith('_') && !c.options.show_hidden) continue;
        exports.set(k, fromSpec(v));
      }
      const text = renderExports(exports, {
        sortKeys: c.options.sort_keys,
        showHidden: c.options.show_hidden,
        disableNone: c.options.disable_none,
      });
      // The API drops the final newline unless the text ends in a block scalar; ours always
      // ends in exactly one.
      const expected = c.expected.endsWith('\n') ? c.expected : `${c.expected}\n`;
      expect(text).toBe(expected);
    });
  }
});

describe('documents and streams', () => {
  // Expected texts captured from kcl-lib 0.13.2 (yaml.encode / yaml.encode_all / kcl run).
  const d = new KDict(new Map<string, Value>([['a', 1]]));
  test('scalar documents', () => {
    expect(renderYaml('a\nb')).toBe('|-\n  a\n  b\n');
    expect(renderYaml('s')).toBe('s\n');
    expect(renderYaml(new KFloat(1))).toBe('1.0\n');
    expect(renderYaml(null)).toBe('null\n');
    expect(renderYaml([])).toBe('[]\n');
  });
  test('a stream of configs is separated by ---', () => {
    const b = new KDict(new Map<string, Value>([['b', [1, 2]]]));
    expect(renderYamlStream([d, b, 's', null, []])).toBe('a: 1\n---\nb:\n- 1\n- 2\n---\ns\n---\nnull\n---\n[]\n');
    expect(renderYamlStream([])).toBe('');
  });
  test('encode_all puts a blank line before each separator', () => {
    expect(renderYamlAll([d, 1, 'a\nb'])).toBe('a: 1\n\n---\n1\n\n---\n|-\n  a\n  b\n');
    expect(renderYamlAll([])).toBe('');
  });
  test('a unit number prints as the float it stands for', () => {
    expect(renderYaml([new KUnit(1, 'Gi', 1024 ** 3)])).toBe('- 1073741824.0\n');
  });
});
