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

/**
 * Holds engine calls until the test lets them go: each `pass()` waits, `entered(n)` resolves once
 * n calls are waiting, `release()` lets every waiting call go. It replaces "an engine that takes
 * a second", so an order of events a test asserts (one answer before another, a request still in
 * flight) is made by the test, not by timers racing a busy machine.
 */
export class Gate {
  private waiting: Array<() => void> = [];
  private watchers: Array<{ readonly count: number; readonly resolve: () => void }> = [];

  pass(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      const ready = this.watchers.filter((w) => this.waiting.length >= w.count);
      this.watchers = this.watchers.filter((w) => this.waiting.length < w.count);
      for (const w of ready) w.resolve();
    });
  }

  entered(count = 1): Promise<void> {
    if (this.waiting.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ count, resolve }));
  }

  release(): void {
    for (const go of this.waiting.splice(0)) go();
  }
}
