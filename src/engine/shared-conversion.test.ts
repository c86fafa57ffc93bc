import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { toKcl, toPlain } from '../kcl/convert.js';
import { compile } from '../kcl/index.js';
import { KDict, KFloat, KFunction, UNDEFINED, type Value } from '../kcl/value.js';
import { makeUnit } from '../kcl/units-core.js';
import { kclCompiler } from './kcl-compiler.js';
import { programOptions, jsonEqual } from './run-policy.js';
import { ConversionMemo } from './shared-conversion.js';
import { parsePolicy } from './schema.js';
import type { EngineRequest } from './contract.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUTPUT_OPTIONS = { showHiddenDictKeys: true };

// Two KDicts are the same value when their entries and entry operators are: the memo's pairing
// fields (hostData, hostMark) say where a dict came from, not what it holds.
type Tester = Parameters<typeof expect.addEqualityTesters>[0][number];
const sameKclDict: Tester = function (a, b, testers) {
  if (!(a instanceof KDict) || !(b instanceof KDict)) return undefined;
  return this.equals(a.entries, b.entries, testers) && this.equals(a.ops, b.ops, testers);
};
expect.addEqualityTesters([sameKclDict]);

describe('ConversionMemo', () => {
  it('converts exactly as toKcl and toPlain(showHiddenDictKeys) do', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (json) => {
        const memo = new ConversionMemo();
        const value = memo.toValue(json);
        expect(value).toEqual(toKcl(json));
        expect(memo.toJson(value)).toEqual(toPlain(toKcl(json), OUTPUT_OPTIONS));
        const kcl = toKcl(json);
        expect(new ConversionMemo().toJson(kcl)).toEqual(toPlain(kcl, OUTPUT_OPTIONS));
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a dict's `_` keys (data) and drops a schema instance's `_` attributes (private), as the reference hides them", () => {
    // The reference (kcl-lib 0.13.2) without show_hidden prints `l: {team: platform}` and `a: {y: 2}`;
    // with it, `_team` and `_x` too. Kubernetes data may hold `_` keys, schemas' `_` attributes are private.
    const source = 'schema Labels:\n    _team: str = "platform"\n    team: str = _team\na = {_x = 1, y = 2}\nl = Labels {}\n';
    const compiled = compile(source, 'main.k');
    if (!compiled.ok) throw new Error(compiled.diagnostics[0]!.message);
    const result = compiled.program.run({});
    if (!result.ok) throw new Error(result.diagnostic.message);
    const memo = new ConversionMemo();
    expect(memo.toJson(result.exports.get('a')!)).toEqual({ _x: 1, y: 2 });
    expect(memo.toJson(result.exports.get('l')!)).toEqual({ team: 'platform' });
    expect(toPlain(result.exports.get('l')!, { showHidden: true })).toEqual({ _team: 'platform', team: 'platform' });
  });

  it('keeps a `__proto__` key as an own property, not as the prototype', () => {
    const dict = new KDict(new Map<string, Value>([['__proto__', 'x'], ['other', new KDict(new Map<string, Value>([['__proto__', 'y']]))]]));
    const json = new ConversionMemo().toJson(dict) as Record<string, unknown>;
    expect(Object.getPrototypeOf(json)).toBe(Object.prototype);
    expect(Object.keys(json)).toEqual(['__proto__', 'other']);
    expect(Object.getOwnPropertyDescriptor(json, '__proto__')?.value).toBe('x');
    expect(Object.getOwnPropertyDescriptor(json.other, '__proto__')?.value).toBe('y');
    expect(JSON.parse(JSON.stringify(json))).toEqual(JSON.parse('{"__proto__": "x", "other": {"__proto__": "y"}}'));
  });

  it('returns the very object that went in when the value comes back unchanged', () => {
    const pod = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } };
    const memo = new ConversionMemo();
    const value = memo.toValue(pod) as KDict;
    expect(memo.toValue(pod)).toBe(value);
    expect(memo.toJson(value)).toBe(pod);
    // A changed copy keeps the unchanged subtrees by identity.
    const changed = new KDict(new Map(value.entries));
    changed.set('metadata', toKcl({ name: 'web', labels: { app: 'web', extra: 'x' } }));
    const back = memo.toJson(changed) as Record<string, unknown>;
    expect(back).not.toBe(pod);
    expect(back.spec).toBe(pod.spec);
    expect(back).toEqual({ ...pod, metadata: { name: 'web', labels: { app: 'web', extra: 'x' } } });
    // And the next policy gets the changed value itself.
    expect(memo.toValue(back)).toBe(changed);
  });

  it('returns the very objects that went in for unchanged parts at any depth', () => {
    const resources = { limits: { cpu: '1' }, requests: { cpu: '100m' } };
    const pod = { spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources, ports: [{ containerPort: 80 }] }] } };
    const memo = new ConversionMemo();
    const value = memo.toValue([pod]) as Value[];
    // What a policy setting the image builds: new dicts and lists down the changed path only.
    const spec = (value[0] as KDict).get('spec') as KDict;
    const container = new KDict(new Map(((spec.get('containers') as Value[])[0] as KDict).entries));
    container.set('image', 'nginx:1.28');
    const changed = new KDict(new Map([['spec', new KDict(new Map([['containers', [container]]]))]]));
    const back = memo.toJson([changed]) as (typeof pod)[];
    expect(back[0]!.spec.containers[0]!.image).toBe('nginx:1.28');
    expect(back[0]!.spec.containers[0]!.resources).toBe(resources);
    expect(back[0]!.spec.containers[0]!.ports).toBe(pod.spec.containers[0]!.ports);
    // The next policy is handed the output itself (inside a fresh items list).
    expect((memo.toValue([back[0]]) as Value[])[0]).toBe(changed);
  });

  it("never uses another memo's pairs, such as those left on a dict shared between requests", () => {
    const object = { metadata: { name: 'a' } };
    const first = new ConversionMemo();
    const value = first.toValue(object);
    expect(first.toJson(value)).toBe(object);
    const second = new ConversionMemo();
    const back = second.toJson(value);
    expect(back).not.toBe(object);
    expect(back).toEqual(object);
    expect(second.toJson(value)).toBe(back);
    // A dict keeps one pair: the first memo now converts it afresh (a job's memo is the only one
    // in use while it runs, so this costs nothing in practice).
    expect(first.toJson(value)).toEqual(object);
  });

  it('does not pair values whose conversion would not round-trip', () => {
    const cases: Value[] = [
      new KDict(new Map<string, Value>([['f', new KFloat(1)]])),
      new KDict(new Map<string, Value>([['u', UNDEFINED]])),
      new KDict(new Map<string, Value>([['fn', new KFunction('fn', () => null)]])),
      new KDict(new Map<string, Value>([['mem', makeUnit(1, 'Gi')]])),
      new KDict(new Map<string, Value>([['b', 1], ['1', 2]])),
      [new KFloat(2), 'x'],
    ];
    for (const value of cases) {
      const memo = new ConversionMemo();
      const json = memo.toJson(value);
      expect(json).toEqual(toPlain(value, OUTPUT_OPTIONS));
      const again = memo.toValue(json);
      expect(again).not.toBe(value);
      expect(again).toEqual(toKcl(json));
    }
    // An int beyond 2^53 crosses back as an exact bigint, not as the number that went in.
    const big = { n: 2 ** 60, list: [-(2 ** 53)] };
    const bigMemo = new ConversionMemo();
    expect(bigMemo.toJson(bigMemo.toValue(big))).toEqual(toPlain(toKcl(big), OUTPUT_OPTIONS));
    const withUndefined = { a: 1, b: undefined };
    const memo = new ConversionMemo();
    expect(memo.toJson(memo.toValue(withUndefined))).not.toBe(withUndefined);
  });

  it('shares the conversion of deep-frozen data across memos, and only of deep-frozen data', () => {
    const frozen = Object.freeze({ a: Object.freeze([1, 2.5, 'x']), b: Object.freeze({ c: null }) });
    const shared = new ConversionMemo().toValue(frozen);
    expect(new ConversionMemo().toValue(frozen)).toBe(shared);
    expect(shared).toEqual(toKcl(frozen));
    const shallow = Object.freeze({ a: { b: 1 } });
    expect(new ConversionMemo().toValue(shallow)).not.toBe(new ConversionMemo().toValue(shallow));
    const inexact = Object.freeze({ a: undefined, b: 1 });
    expect(new ConversionMemo().toValue(inexact)).not.toBe(new ConversionMemo().toValue(inexact));
  });

  it('parsePolicy freezes a copy of the manifest, leaving the document alone', () => {
    const doc = yaml.load(readFileSync(join(ROOT, 'policies', 'set-annotations', 'policy.yaml'), 'utf8')) as Record<string, unknown>;
    const parsed = parsePolicy(doc);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.isFrozen(parsed.policy.manifest)).toBe(true);
    expect(Object.isFrozen(parsed.policy.spec.params)).toBe(true);
    expect(parsed.policy.manifest).toEqual(doc);
    expect(Object.isFrozen(doc)).toBe(false);
  });

  it('no policy in policies/ mutates the values it is given', () => {
    const request = {
      uid: 'u',
      phase: 'mutate',
      operation: 'CREATE',
      kind: { group: '', version: 'v1', kind: 'Pod' },
      resource: { group: '', version: 'v1', resource: 'pods' },
      namespace: 'default',
      userInfo: { username: 'alice' },
      dryRun: false,
      requestView: { uid: 'u', operation: 'CREATE', namespace: 'default', userInfo: { username: 'alice' } },
    } as unknown as EngineRequest;
    let runs = 0;
    for (const name of readdirSync(join(ROOT, 'policies'))) {
      const file = join(ROOT, 'policies', name, 'policy.yaml');
      const resources = join(ROOT, 'policies', name, 'resources');
      if (!existsSync(file) || !existsSync(resources)) continue;
      const doc = yaml.loadAll(readFileSync(file, 'utf8')).find((d) => /KCLRun$/.test((d as { kind?: string } | null)?.kind ?? ''));
      const parsed = parsePolicy(doc);
      if (!parsed.ok) continue;
      const compiled = compile(parsed.policy.spec.source, `${name}.k`);
      if (!compiled.ok) continue;
      for (const resource of readdirSync(resources)) {
        const object = yaml.load(readFileSync(join(resources, resource), 'utf8')) as Record<string, unknown>;
        const options = programOptions(parsed.policy, object, request);
        const memo = new ConversionMemo();
        const given = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, memo.toValue(v)]));
        compiled.program.run({ options: given });
        for (const [k, v] of Object.entries(options)) expect(jsonEqual(toPlain(given[k]!, OUTPUT_OPTIONS), v)).toBe(true);
        runs += 1;
      }
    }
    expect(runs).toBeGreaterThan(20);
  });

  it('gives the same exports through kclCompiler with and without a session', () => {
    const source = `items = [item | {metadata.labels.seen = "yes"} for item in option("items")]\n`;
    const compiled = kclCompiler.compile(source, 'p.k');
    if (!compiled.ok) throw new Error('does not compile');
    const object = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' }, spec: { x: [1, 2.5] } };
    const session = {};
    const shared = compiled.program.run({ items: [object] }, { timeoutMs: 1000 }, session);
    const fresh = compiled.program.run({ items: [object] }, { timeoutMs: 1000 });
    expect(shared.ok && fresh.ok).toBe(true);
    if (!shared.ok || !fresh.ok) return;
    expect([...shared.exports]).toEqual([...fresh.exports]);
    const out = (shared.exports.get('items') as Record<string, unknown>[])[0]!;
    expect(out.spec).toBe(object.spec);
  });
});
