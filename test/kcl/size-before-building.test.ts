/**
 * Builtins check the size of what they would build (K9004) before building it. Tested in a node
 * process whose heap is far smaller than any of these values: building one first would end that
 * process (out of memory) on any machine, however fast or loaded. A process, not a worker
 * thread: a worker that runs out of heap in the middle of a large allocation can take the whole
 * process down with it. Runs the built library (`npm test` builds before jest).
 */
import { describe, expect, test } from '@jest/globals';
import { runInChild } from '../support/kcl-child.js';

describe('builtins and the value size limit', () => {
  test('builtins check the size of what they build before building it', () => {
    // Each value below is at least 100 MB; the process's heap is 64 MB.
    const programs = [
      'a = range(100000000)',
      'a = len("{:>200000000}".format(1))',
      'a = len("{:.200000000f}".format(1.5))',
      // A fill outside the BMP is two UTF-16 units: it once got past the width check (E3M38
      // "Invalid string length" from the padding instead of K9004).
      'a = len("{:😀>999999999}".format("x"))',
      'a = len("{:😀>3000000}".format("x"))',
      '_s = "a" * 900000\n_r = "b" * 1000\na = len(_s.replace("a", _r))',
      '_e = "a" * 1000\n_l = [_e] * 900000\na = len(",".join(_l))',
      '_l = [[1] * 900000] * 900\na = len(sum(_l, []))',
      'import json\na = json.encode([1], indent=200000000)',
      // A 105 KB document whose sequence key js-yaml would join into one 150-million-character
      // string (each alias copied), and the same through a merge key.
      'import yaml\n_d = "a: &s \\"" + "x" * 100000 + "\\"\\n? [" + ", ".join(["*s"] * 1500) + "]\\n: 1\\n"\na = len(yaml.decode(_d))',
      'import yaml\n_m = "{" + ", ".join(["k${i}: " + "x" * 1000 for i in range(1000)]) + "}"\n_d = "m: &m " + _m + "\\n" + "\\n".join(["d${i}: {<<: *m}" for i in range(1000)])\na = len(yaml.decode(_d))',
    ];
    expect(runInChild(programs, { heapMb: 64 }).map((run) => run.code)).toEqual(programs.map(() => 'K9004'));
  });
});
