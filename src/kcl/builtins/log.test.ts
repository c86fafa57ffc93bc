// kclguard's `log` module (an extension: the reference has none, so nothing here is captured
// from it). Messages reach RunOptions.onLog, or RunResult.logs when no onLog is given.
import { describe, expect, test } from '@jest/globals';
import { compile, type LogLevel, type Program } from '../index.js';

function program(source: string): Program {
  const c = compile(source, 'main.k');
  if (!c.ok) throw new Error(`compile failed: ${c.diagnostics.map((d) => d.code).join(', ')}`);
  return c.program;
}

describe('log', () => {
  test('each level is collected in order, with print()-style text and logfmt fields', () => {
    const r = program(
      'import log\n' +
        'log.debug("checking", 1, [1, "a"])\n' +
        'log.info("image", image="nginx:latest", replicas=3, note="two words")\n' +
        'log.warn({k = "v"})\n' +
        'log.error("denied", empty="")\n' +
        'a = 1\n',
    ).run();
    expect(r.ok).toBe(true);
    expect(r.logs).toEqual([
      { level: 'debug', message: 'checking 1 [1, a]' },
      { level: 'info', message: 'image image=nginx:latest replicas=3 note="two words"' },
      { level: 'warn', message: `{'k': 'v'}` },
      { level: 'error', message: 'denied empty=""' },
    ]);
    if (r.ok) expect([...r.exports.keys()]).toEqual(['a']);
  });

  test('onLog receives the messages instead, and nothing is collected', () => {
    const seen: [LogLevel, string][] = [];
    const r = program('import log\n_x = log.info("hello")\nlog.warn("w")\n').run({ onLog: (l, m) => seen.push([l, m]) });
    expect(seen).toEqual([['info', 'hello'], ['warn', 'w']]);
    expect(r.logs).toBeUndefined();
  });

  test('messages logged before a failure come with the failure', () => {
    const r = program('import log\nlog.info("about to fail")\nassert False, "no"\n').run();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostic.code).toBe('E3M41');
    expect(r.logs).toEqual([{ level: 'info', message: 'about to fail' }]);
  });

  test('a run that logs nothing has no logs field', () => {
    expect(program('a = 1').run().logs).toBeUndefined();
  });

  test('log returns None and adds no global name: real KCL using `log` still runs', () => {
    const r = program('import log\nv = log.info("x")\n').run();
    expect(r.ok && r.exports.get('v')).toBe(null);
    const own = program('log = lambda s { "logged " + s }\nr = log("x")\n').run();
    expect(own.ok && own.exports.get('r')).toBe('logged x');
    const c = compile('log.info("x")', 'main.k');
    expect(c.ok ? 'compiled' : c.diagnostics[0]!.code).toBe('E2L23');
  });

  // Like an unknown member of any system module in the reference (`math.foo`): a TypeError.
  test('an unknown level is an unknown module member (E2G22)', () => {
    const c = compile('import log\nlog.trace("x")\n', 'main.k');
    const r = c.ok ? c.program.run() : undefined;
    const codeOf = c.ok ? (r && !r.ok ? r.diagnostic.code : 'ok') : c.diagnostics[0]!.code;
    expect(codeOf).toBe('E2G22');
  });
});
