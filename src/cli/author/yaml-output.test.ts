import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { dumpYaml } from './yaml-output.js';

/**
 * Whether a YAML 1.1 reader takes a plain scalar for something other than a string: PyYAML's
 * implicit resolvers (resolver.py) and gopkg.in/yaml.v2's resolve(), which strips every `_` from a
 * scalar that starts with a digit or sign and then accepts what strconv reads (`0x`, `0o`, `0b` in
 * either case) or its float pattern.
 */
function yaml11NonString(s: string): boolean {
  const pyyaml = [
    /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
    /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
    /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    /^(?:~|null|Null|NULL|)$/,
    /^<<$/,
    /^=$/,
  ];
  if (pyyaml.some((re) => re.test(s))) return true;
  const goMap = ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', '~', 'null', 'Null', 'NULL', '.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF', '<<'];
  if (goMap.includes(s)) return true;
  if (/^[-+0-9]/.test(s)) {
    const plain = s.replace(/_/g, '');
    if (/^[-+]?(?:0[bB][01]+|0[oO][0-7]+|0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(plain)) return true;
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(plain)) return true;
  }
  if (/^\./.test(s) && /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/.test(s)) return true;
  return false;
}

/** How the value of `v` comes out: the scalar text after `v: `. */
const scalar = (s: string): string => dumpYaml({ v: s }).replace(/^v: /, '').replace(/\n$/, '');
const quoted = (text: string): boolean => /^'.*'$|^".*"$/s.test(text);

const AMBIGUOUS = [
  // numbers with underscores
  '1_000', '1_000.5', '-1_000', '+1_0', '1__0', '1_', '-_1', '0.5_1', '1e_3', '0x_1F',
  // 0b / 0x followed by underscores alone (PyYAML's int patterns; a generated run found them)
  '0b_', '0x__', '-0b_', '+0x_',
  // 0o / 0x / 0b forms, either case, and YAML 1.1 octal
  '0o17', '0O17', '0x1F', '0X1F', '-0x10', '0b101', '0B101', '012', '0_7',
  // sexagesimal
  '1:20', '-1:20', '190:20:30.15', '1_0:20',
  // booleans in any case
  'y', 'Y', 'n', 'N', 'yes', 'Yes', 'YES', 'yEs', 'no', 'NO', 'nO', 'on', 'ON', 'oN', 'off', 'OFF', 'oFf', 'true', 'tRUE', 'false', 'fALSE',
  // null
  '~', 'null', 'Null', 'nULL', '',
  // infinities and NaN
  '.inf', '.Inf', '.iNf', '-.inf', '+.INF', '.nan', '.NaN', '.nAn',
  // merge and value keys; plain floats
  '<<', '=', '1.', '.5', '1e3', '1.5e+3',
];
const PLAIN = ['web', 'nginx:1.27', 'a_b', '_1', '1a', 'yesno', 'onion', 'Nope', '1.2.3', '10.0.0.1', 'v1', 'team-a', '1-2', 'a:b', '0xg'];

describe('dumpYaml', () => {
  it.each(AMBIGUOUS)('quotes %j, which a YAML 1.1 reader would not read as a string', (s) => {
    expect(quoted(scalar(s))).toBe(true);
    expect(yaml.load(dumpYaml({ v: s }))).toEqual({ v: s });
  });

  it.each(PLAIN)('leaves %j plain', (s) => {
    expect(scalar(s)).toBe(s);
  });

  it('quotes such strings as keys too', () => {
    expect(dumpYaml({ on: 1, '1_000': 'yes', plain: 'x' })).toBe("'on': 1\n'1_000': 'yes'\nplain: x\n");
  });

  it('leaves numbers, booleans and null as they are', () => {
    expect(dumpYaml({ int: 1000, float: 1.5, bool: true, nil: null })).toBe('int: 1000\nfloat: 1.5\nbool: true\nnil: null\n');
  });

  it('quotes every string the YAML 1.1 readers take for another type (generated)', () => {
    const alphabet = fc.constantFrom(...'0123456789_.:+-eExXoObByYnN~<=afinAFIN'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 7 }).map((chars) => chars.join('')), (s) => {
        const text = scalar(s);
        if (yaml11NonString(s)) expect({ s, text, quoted: quoted(text) }).toEqual({ s, text, quoted: true });
        expect(yaml.load(dumpYaml({ v: s }))).toEqual({ v: s });
      }),
      { numRuns: 5000 },
    );
  });
});
