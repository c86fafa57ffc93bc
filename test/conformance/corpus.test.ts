/**
 * The corpus format and the judging rules, tested without the interpreter: what a golden means
 * must not depend on whether our evaluator happens to work.
 */
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgeError, judgeStdout, parseYamlStream } from './compare.js';
import {
  findCaseIds,
  formatKnownFailures,
  loadCase,
  parseKnownFailures,
  parseStderrGolden,
} from './corpus.js';

const CORPUS_DIR = dirname(fileURLToPath(import.meta.url));

/** The text of every `.k` file of a case (a package case's modules included). */
function packageSources(dir: string, isPackage: boolean): string[] {
  if (!isPackage) return [readFileSync(join(dir, 'main.k'), 'utf8')];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.k'))
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

const CODED_GOLDEN = `error[E2G22]: TypeError
 --> main.k:2:5
  |
2 | b = a + "x"
  |     ^ unsupported operand type(s) for +: 'int' and 'str(x)'
  |
`;

const RUNTIME_GOLDEN = `EvaluationError
 --> main.k:3:1
  |
3 | assert x > 10, "too small"
  |  too small
  |
`;

const IMMUTABLE_GOLDEN = `error[E1001]: ImmutableError
 --> main.k:2:1
  |
2 | a = 2
  | ^ Can not change the value of 'a', because it was declared immutable
  |

 --> main.k:1:1
  |
1 | a = 1
  | ^ The variable 'a' is declared here
  |
`;

const CHECK_GOLDEN = `EvaluationError
 --> main.k:6:5
  |
6 | r = R {min = 5, max = 3}
  |     ^ Instance check failed
  |

 --> main.k:5:1
  |
5 |         min <= max, "min must be <= max"
  |  Check failed on the condition: min must be <= max
  |
`;

const SYNTAX_GOLDEN = `error[E1001]: InvalidSyntax
 --> main.k:2:5
  |
2 | b = ]
  |     ^ mismatched closing delimiter
  |

error[E1001]: InvalidSyntax
 --> main.k:1:8
  |
1 | a = (1 +
  |        ^ expected one of ["identifier"] got newline
  |

error[E2L23]: CompileError
 --> main.k:3:1
  |
3 | c = d
  | ^ name 'd' is not defined
  |
`;

describe('parseStderrGolden', () => {
  test('reads code, kind and location of a coded error', () => {
    expect(parseStderrGolden(CODED_GOLDEN)).toEqual([
      { code: 'E2G22', kind: 'TypeError', line: 2, col: 5, locations: [{ file: 'main.k', line: 2, col: 5 }] },
    ]);
  });

  test('reads a runtime error the reference prints without a code', () => {
    expect(parseStderrGolden(RUNTIME_GOLDEN)).toEqual([
      { kind: 'EvaluationError', line: 3, col: 1, locations: [{ file: 'main.k', line: 3, col: 1 }] },
    ]);
  });

  test('takes the first location of an error as its main one and keeps the related ones', () => {
    expect(parseStderrGolden(IMMUTABLE_GOLDEN)).toEqual([
      {
        code: 'E1001',
        kind: 'ImmutableError',
        line: 2,
        col: 1,
        locations: [
          { file: 'main.k', line: 2, col: 1 },
          { file: 'main.k', line: 1, col: 1 },
        ],
      },
    ]);
  });

  test('keeps every error of a multi-error golden in order', () => {
    expect(parseStderrGolden(SYNTAX_GOLDEN).map((e) => [e.code, e.line])).toEqual([
      ['E1001', 2],
      ['E1001', 1],
      ['E2L23', 3],
    ]);
  });
});

describe('judgeError', () => {
  const stdout = { kind: 'stdout', printed: '', yaml: 'a: 1\n' } as const;
  const err = (code: string, line?: number, col?: number) => ({ kind: 'error', error: { code, line, col } }) as const;

  test('matches code and line, ignoring the column of non-syntax errors', () => {
    const golden = parseStderrGolden(CODED_GOLDEN);
    expect(judgeError(golden, err('E2G22', 2, 9)).pass).toBe(true);
    expect(judgeError(golden, err('E2G22', 3, 5)).pass).toBe(false);
    expect(judgeError(golden, err('E2L23', 2, 5)).pass).toBe(false);
  });

  test('accepts any runtime code for an uncoded EvaluationError', () => {
    const golden = parseStderrGolden(RUNTIME_GOLDEN);
    expect(judgeError(golden, err('E3M41', 3, 1)).pass).toBe(true);
    expect(judgeError(golden, err('E3M38', 3, 8)).pass).toBe(true);
    expect(judgeError(golden, err('E2G22', 3, 1)).pass).toBe(false);
    expect(judgeError(golden, err('K9001', 3, 1)).pass).toBe(false);
  });

  test('checks the column of syntax errors against any syntax error the reference listed', () => {
    const golden = parseStderrGolden(SYNTAX_GOLDEN);
    expect(judgeError(golden, err('E1001', 1, 8)).pass).toBe(true);
    expect(judgeError(golden, err('E1001', 2, 5)).pass).toBe(true);
    expect(judgeError(golden, err('E1001', 1, 9)).pass).toBe(false);
    // A later, different kind of error in the golden is not a substitute for the first kind.
    expect(judgeError(golden, err('E2L23', 3, 1)).pass).toBe(false);
  });

  test('accepts the line of a related location of the same error', () => {
    const golden = parseStderrGolden(CHECK_GOLDEN);
    expect(judgeError(golden, err('E3M40', 6, 5)).pass).toBe(true);
    expect(judgeError(golden, err('E3M40', 5, 9)).pass).toBe(true);
    expect(judgeError(golden, err('E3M40', 4, 1)).pass).toBe(false);
  });

  test('compares the file of a package case: an error in an imported module names that file', () => {
    const golden = parseStderrGolden(`EvaluationError
 --> lib/lib.k:2:1
  |
2 | assert False, "boom"
  |  boom
  |
`);
    expect(judgeError(golden, { kind: 'error', error: { code: 'E3M41', file: 'lib/lib.k', line: 2, col: 1 } }).pass).toBe(true);
    expect(judgeError(golden, { kind: 'error', error: { code: 'E3M41', file: 'main.k', line: 2, col: 1 } }).pass).toBe(false);
  });

  test('fails when the program succeeded', () => {
    expect(judgeError(parseStderrGolden(CODED_GOLDEN), stdout).pass).toBe(false);
  });
});

describe('judgeStdout', () => {
  const ok = (yaml: string, printed = '') => ({ kind: 'stdout', printed, yaml }) as const;

  test('compares parsed YAML, not quoting or layout', () => {
    expect(judgeStdout("a: 'x'\nb: [1, 2]\n", ok('a: x\nb:\n- 1\n- 2\n')).pass).toBe(true);
  });

  test('keeps key order significant', () => {
    expect(judgeStdout('a: 1\nb: 2\n', ok('b: 2\na: 1\n'))).toEqual({
      pass: false,
      reason: 'output[0]: key order differs: expected [a, b], got [b, a]',
    });
  });

  test('names the path of the first difference', () => {
    expect(judgeStdout('a:\n  l: [1, 2.5]\n', ok('a:\n  l: [1, 2]\n'))).toEqual({
      pass: false,
      reason: 'output[0].a.l[1]: expected 2.5, got 2',
    });
    expect(judgeStdout('a: 1\n', ok('a: 1\nb: 2\n'))).toEqual({
      pass: false,
      reason: 'output[0].b: unexpected (got 2)',
    });
  });

  test('keeps floats apart from ints and strings apart from numbers', () => {
    expect(judgeStdout('a: 2.0\n', ok('a: 2\n')).pass).toBe(false);
    expect(judgeStdout("a: '1'\n", ok('a: 1\n')).pass).toBe(false);
    expect(judgeStdout('a: 1e-7\n', ok('a: 1.0e-7\n')).pass).toBe(true);
    expect(judgeStdout('a: 0.0\n', ok('a: -0.0\n')).pass).toBe(false);
  });

  test('does not read dates or other YAML 1.1 extras into the values', () => {
    expect(parseYamlStream('d: 2024-01-15\n')).toEqual([{ d: '2024-01-15' }]);
  });

  test('treats an empty output and `{}` alike', () => {
    expect(judgeStdout('{}\n', ok('')).pass).toBe(true);
  });

  test('compares multi-document streams document by document', () => {
    expect(judgeStdout('a: 1\n---\nb: 2\n', ok('a: 1\n---\nb: 2\n')).pass).toBe(true);
    expect(judgeStdout('a: 1\n---\nb: 2\n', ok('a: 1\nb: 2\n')).pass).toBe(false);
  });

  test('requires print() output to match exactly before the YAML', () => {
    expect(judgeStdout('hello 1\nx: 1\n', ok('x: 1\n', 'hello 1\n')).pass).toBe(true);
    expect(judgeStdout('hello 1\nx: 1\n', ok('x: 1\n', 'hello  1\n')).pass).toBe(false);
    expect(judgeStdout('hello 1\nx: 1\n', ok('x: 1\n')).pass).toBe(false);
  });

  test('fails on an error where success was expected', () => {
    expect(judgeStdout('a: 1\n', { kind: 'error', error: { code: 'E3M38', line: 1, col: 1 } }).pass).toBe(false);
  });
});

describe('known-failures list', () => {
  test('round-trips ids and reasons, ignoring comments and blanks', () => {
    const text = formatKnownFailures(new Map([['schema/b', 'second'], ['lexing/a', 'first\nline']]));
    expect([...parseKnownFailures(text)]).toEqual([
      ['lexing/a', 'first line'],
      ['schema/b', 'second'],
    ]);
    expect([...parseKnownFailures('\n# note\nx/y\n')]).toEqual([['x/y', '']]);
  });
});

describe('the corpus on disk', () => {
  const ids = findCaseIds(CORPUS_DIR);

  test('holds at least 400 cases', () => {
    expect(ids.length).toBeGreaterThanOrEqual(400);
  });

  test('every case has exactly one golden, and every stderr golden names an error', () => {
    const broken: string[] = [];
    for (const id of ids) {
      try {
        loadCase(CORPUS_DIR, id);
      } catch (error) {
        broken.push(`${id}: ${(error as Error).message}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('every stdout golden parses as YAML after its print() lines', () => {
    const unparsable = ids.filter((id) => {
      const c = loadCase(CORPUS_DIR, id);
      if (c.expected.kind !== 'stdout' || packageSources(c.dir, c.isPackage).some((text) => text.includes('print('))) return false;
      try {
        parseYamlStream(c.expected.text);
        return false;
      } catch {
        return true;
      }
    });
    expect(unparsable).toEqual([]);
  });

  test('goldens name no checkout path (the regen script rewrites it to main.k)', () => {
    const leaking = ids.filter((id) => loadCase(CORPUS_DIR, id).expected.text.includes('test/conformance/'));
    expect(leaking).toEqual([]);
  });
});
