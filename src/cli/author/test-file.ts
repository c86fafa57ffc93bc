/**
 * The kclguard-test.yaml format (docs/policy-testing.md) as `kclguard test` reads it. It is a
 * compatible superset of the format the policy suite's schema checks: the same fields, plus
 * what only the whole engine can show — the engine's other results (not_consented,
 * not_authorized, skipped, not_selected), `expect.patch`, `expect.allowed`, `expect.warning`,
 * and `expect.policy` to say which policy's result is meant when a file loads several.
 */
import { Ajv } from 'ajv';
import { dirname, join } from 'node:path';
import type { Operation } from '../../engine/index.js';
import { InputError } from '../errors.js';
import { readYamlDocs } from './files.js';

export const TEST_FILE_NAME = 'kclguard-test.yaml';
export const CASE_RESULTS = ['mutated', 'passed', 'violated', 'failed', 'not_consented', 'not_authorized', 'skipped', 'not_selected'] as const;
export type CaseResult = (typeof CASE_RESULTS)[number];

export interface TestCaseSpec {
  readonly name: string;
  readonly resource?: string;
  readonly operation?: Operation;
  readonly oldResource?: string;
  readonly params?: unknown;
  readonly userInfo?: { readonly username: string; readonly groups?: readonly string[] };
  /** The objects lookups read in this case, instead of the file's `lookups` (`[]`: none). */
  readonly lookups?: readonly string[];
  readonly expect: {
    readonly result: CaseResult;
    readonly policy?: string;
    readonly object?: string;
    readonly patch?: string;
    readonly message?: string;
    readonly allowed?: boolean;
    readonly warning?: string;
  };
}

export interface TestFileSpec {
  readonly apiVersion: 'kclguard.dev/v1alpha1';
  readonly kind: 'KCLGuardTest';
  readonly metadata: { readonly name: string };
  readonly policies: readonly string[];
  readonly namespaces?: readonly string[];
  readonly rbac?: readonly string[];
  /** Files (or directories) of the objects `kube.get` / `kube.list` read. */
  readonly lookups?: readonly string[];
  readonly cases: readonly TestCaseSpec[];
}

const fileList = { type: 'array', items: { type: 'string', minLength: 1 } };

export const ENGINE_TEST_FILE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'policies', 'cases'],
  properties: {
    apiVersion: { const: 'kclguard.dev/v1alpha1' },
    kind: { const: 'KCLGuardTest' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 } } },
    policies: { ...fileList, minItems: 1 },
    namespaces: fileList,
    rbac: fileList,
    lookups: fileList,
    cases: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'expect'],
        properties: {
          name: { type: 'string', minLength: 1 },
          resource: { type: 'string', minLength: 1 },
          operation: { enum: ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] },
          oldResource: { type: 'string', minLength: 1 },
          params: {},
          lookups: fileList,
          userInfo: {
            type: 'object',
            additionalProperties: false,
            required: ['username'],
            properties: { username: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } } },
          },
          expect: {
            type: 'object',
            additionalProperties: false,
            required: ['result'],
            properties: {
              result: { enum: [...CASE_RESULTS] },
              policy: { type: 'string', minLength: 1 },
              object: { type: 'string', minLength: 1 },
              patch: { type: 'string', minLength: 1 },
              message: { type: 'string', minLength: 1 },
              allowed: { type: 'boolean' },
              warning: { type: 'string', minLength: 1 },
            },
            allOf: [
              { if: { properties: { result: { const: 'mutated' } } }, then: { anyOf: [{ required: ['object'] }, { required: ['patch'] }] } },
              { if: { properties: { result: { const: 'violated' } } }, then: { required: ['message'] } },
              { if: { properties: { result: { enum: ['passed', 'failed'] } } }, then: { not: { required: ['object'] } } },
            ],
          },
        },
        allOf: [
          {
            if: { properties: { operation: { const: 'DELETE' } }, required: ['operation'] },
            then: { required: ['oldResource'] },
            else: { required: ['resource'] },
          },
        ],
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: true, strict: false }).compile(ENGINE_TEST_FILE_SCHEMA);

export interface LoadedTestFile {
  readonly path: string;
  readonly dir: string;
  readonly spec: TestFileSpec;
}

/** What makes a parsed document an invalid KCLGuardTest, as `path message` lines (empty when valid). */
export function testFileProblems(doc: unknown): string[] {
  if (validate(doc)) return [];
  const errors = (validate.errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : ''}`);
  return [...new Set(errors)];
}

export function loadTestFile(path: string): LoadedTestFile {
  const docs = readYamlDocs(path);
  if (docs.length !== 1) throw new InputError('C2004', { path, what: 'a test file', count: docs.length });
  const problems = testFileProblems(docs[0]);
  if (problems.length > 0) throw new InputError('C2010', { path, problems: problems.join('; ') });
  return { path, dir: dirname(path), spec: docs[0] as TestFileSpec };
}

/** A path written in the test file, relative to the file. */
export function resolveIn(file: LoadedTestFile, relative: string): string {
  return join(file.dir, relative);
}
