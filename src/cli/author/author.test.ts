import { describe, expect, test } from '@jest/globals';
import { thrownCode } from '../../../test/support/error-codes.js';
import { takeRepeated } from './args.js';
import { jsonDiff } from './diff.js';
import { buildAdmissionRequest, engineRequestFor, guessResource } from './request.js';
import { remapSpan, sourceSegments, splitYamlDocuments } from './source-map.js';
import { testLambdas } from './kcl-tests.js';

describe('guessResource (client-go UnsafeGuessKindToResource + exceptions)', () => {
  test.each([
    ['Pod', 'pods'],
    ['Deployment', 'deployments'],
    ['Ingress', 'ingresses'],
    ['NetworkPolicy', 'networkpolicies'],
    ['Endpoints', 'endpoints'],
    ['HorizontalPodAutoscaler', 'horizontalpodautoscalers'],
  ])('%s -> %s', (kind, resource) => expect(guessResource(kind)).toBe(resource));
});

describe('buildAdmissionRequest', () => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' } };
  test('a namespaced object without a namespace gets the default one; the object is not changed', () => {
    const r = buildAdmissionRequest({ operation: 'CREATE', object: pod, defaultNamespace: 'team-a' });
    expect(r).toMatchObject({ namespace: 'team-a', name: 'web', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { resource: 'pods' } });
    expect(r.object).toBe(pod);
  });
  test('a Namespace carries its own name as request.namespace; other cluster-scoped kinds none', () => {
    expect(buildAdmissionRequest({ operation: 'CREATE', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } }, defaultNamespace: 'd' }).namespace).toBe('x');
    expect(buildAdmissionRequest({ operation: 'CREATE', object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' } }, defaultNamespace: 'd' }).namespace).toBeUndefined();
  });
  test('the engine request has no deadline and the request view no objects', () => {
    const r = engineRequestFor(buildAdmissionRequest({ operation: 'UPDATE', object: pod, oldObject: pod, defaultNamespace: 'd' }), 'validate');
    expect(r.deadline).toBeUndefined();
    expect(r.phase).toBe('validate');
    expect(Object.keys(r.requestView)).not.toContain('object');
    expect(Object.keys(r.requestView)).not.toContain('oldObject');
  });
});

describe('takeRepeated', () => {
  test('collects repeated flags in both forms and leaves the rest', () => {
    const { repeated, rest } = takeRepeated(['--policy', 'a', '--policy=b', '--resource', 'r'], ['policy', 'group']);
    expect(repeated).toEqual({ policy: ['a', 'b'], group: [] });
    expect(rest).toEqual(['--resource', 'r']);
  });
  test('a repeated flag without a value, or with an empty one, is a command-line error', () => {
    expect(thrownCode(() => takeRepeated(['--policy'], ['policy']))).toBe('C1004');
    expect(thrownCode(() => takeRepeated(['--policy', '--group', 'g'], ['policy', 'group']))).toBe('C1004');
    expect(thrownCode(() => takeRepeated(['--policy='], ['policy']))).toBe('C1006');
  });
});

describe('source maps', () => {
  const text = ['# c', 'kind: X', '---', 'apiVersion: krm.kcl.dev/v1alpha1', 'kind: KCLRun', 'spec:', '  source: |', '    a = 1', '', '    b = a', ''].join('\n');
  test('documents keep their first line; a literal block maps exactly', () => {
    const docs = splitYamlDocuments(text);
    expect(docs.map((d) => d.startLine)).toEqual([1, 3]);
    const segments = sourceSegments('f.yaml', docs[1]!, 'a = 1\n\nb = a\n');
    expect(remapSpan({ file: 'x.k', line: 3, col: 5, endLine: 3, endCol: 6 }, segments)).toEqual({ file: 'f.yaml', line: 10, col: 9, endLine: 10, endCol: 10 });
  });
  test('a quoted source maps to the source: line', () => {
    const docs = splitYamlDocuments(['kind: KCLRun', 'spec:', '  source: "a = 1\\nb = 2"'].join('\n'));
    const segments = sourceSegments('f.yaml', docs[0]!, 'a = 1\nb = 2');
    expect(remapSpan({ file: 'x.k', line: 2, col: 3, endLine: 2, endCol: 3 }, segments)).toMatchObject({ line: 3, col: 1 });
  });
});

test('testLambdas finds top-level test_ lambdas only', () => {
  expect(testLambdas('test_a = lambda {\n}\n  test_b = lambda {}\nhelper = lambda {}\ntest_c = lambda x {}\n')).toEqual(['test_a', 'test_c']);
});

test('jsonDiff lists changed, added and removed paths', () => {
  expect(jsonDiff({ a: 1, b: { c: 2 } }, { a: 2, b: {}, d: true })).toEqual(
    expect.arrayContaining(['- /a: 1', '+ /a: 2', '- /b/c: 2', '+ /d: true']),
  );
  expect(jsonDiff({ a: [1] }, { a: [1] })).toEqual([]);
});
