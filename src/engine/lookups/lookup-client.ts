/**
 * The program's side of lookups: the HostCallHandler one policy run gets. It hands each `kube`
 * call to whatever answers lookups where the program runs — the in-process executor's responder,
 * or a worker's bridge to the main thread — and keeps the run's own bounds: how many lookups one
 * run may make and how many bytes their answers may add up to.
 */
import type { HostCallHandler } from '../../kcl/index.js';
import type { PolicyDefinition } from '../model.js';
import { KUBE_MODULE_NAME } from './kube-module.js';
import type { LookupAnswer, LookupCall, LookupLimits } from './lookups.js';

/**
 * Answers one call synchronously (the program waits): the responder, or the worker's bridge.
 * `generation` is the policy set the run belongs to (the pool's main thread finds the policy there).
 */
export type LookupAsk = (policy: PolicyDefinition, call: LookupCall, remainingMs: number, generation: number) => LookupAnswer;

/** Makes the host handler of one run of one policy of a generation. */
export type LookupClient = (policy: PolicyDefinition, generation: number) => HostCallHandler;

export function lookupClient(ask: LookupAsk, limits: Pick<LookupLimits, 'maxCallsPerRun' | 'maxBytesPerRun'>): LookupClient {
  return (policy, generation) => {
    let calls = 0;
    let bytes = 0;
    return (call) => {
      const what = `${call.module}.${call.function}()`;
      if (call.module !== KUBE_MODULE_NAME) return { ok: false, code: 'K9009', message: `${what}: no such host module` };
      calls += 1;
      if (calls > limits.maxCallsPerRun) {
        return { ok: false, code: 'K9009', message: `${what}: a policy run may make at most ${limits.maxCallsPerRun} lookups` };
      }
      const answer = ask(policy, { function: call.function, args: call.args }, call.remainingMs, generation);
      if (!answer.ok) return { ok: false, code: answer.code, message: answer.message };
      bytes += answer.bytes ?? 0;
      if (bytes > limits.maxBytesPerRun) {
        return { ok: false, code: 'K9004', message: `${what}: the lookups of one run returned more than ${limits.maxBytesPerRun} bytes` };
      }
      return { ok: true, value: answer.value };
    };
  };
}
