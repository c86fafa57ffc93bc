/** Shared test helpers: recorded AdmissionReview fixtures and fake engines. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdmissionHandler, EngineDecision, EngineRequest } from '../../src/engine/contract.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const FIXTURE_NAMES = [
  'pod-create',
  'deployment-update',
  'crd-certificate-create',
  'configmap-delete',
  'namespace-create-dryrun',
  'deployment-scale-update',
  'pod-status-update',
] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function fixture(name: FixtureName): any {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
}

export function fixtureText(name: FixtureName): string {
  return readFileSync(join(FIXTURES, `${name}.json`), 'utf8');
}

export function decision(partial: Partial<EngineDecision> = {}): EngineDecision {
  return { allowed: true, patch: [], warnings: [], auditAnnotations: {}, outcomes: [], ...partial };
}

/** A fake engine that records what it was asked and answers with a fixed decision. */
export function recordingHandler(answer: EngineDecision | ((r: EngineRequest) => EngineDecision)): {
  handler: AdmissionHandler;
  seen: EngineRequest[];
} {
  const seen: EngineRequest[] = [];
  return {
    seen,
    handler: async (request) => {
      seen.push(request);
      return typeof answer === 'function' ? answer(request) : answer;
    },
  };
}

export function decodePatch(base64: string): unknown {
  return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
}
