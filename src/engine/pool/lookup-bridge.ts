/**
 * Lookups from a worker thread. A policy's `kube.get` / `kube.list` is synchronous inside KCL,
 * but the informer caches and the (asynchronous) ServiceAccount check live on the main thread.
 * So the worker posts the query on one MessagePort and blocks in Atomics.wait on a shared
 * counter, for at most the policy's remaining budget; the main thread answers on a second port
 * and bumps the counter; the worker takes the answer with receiveMessageOnPort (its event loop
 * is blocked, so the port is read synchronously and never started).
 *
 * Answers carry the query's sequence number: an answer that arrives after its query gave up
 * (K9003) is found and dropped by the next query. A worker stuck here past its budget would still
 * be stopped by the pool's watchdog, like any policy that overruns.
 */
import { MessageChannel, receiveMessageOnPort, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { lookupClient, type LookupClient } from '../lookups/lookup-client.js';
import { DEFAULT_LOOKUP_LIMITS, type LookupAnswer, type LookupCall } from '../lookups/lookups.js';

/** What a worker sends: one call of one policy of one generation. */
export interface LookupRequest {
  readonly seq: number;
  readonly generation: number;
  readonly policy: string;
  readonly call: LookupCall;
  readonly remainingMs: number;
}

interface LookupReply {
  readonly seq: number;
  readonly answer: LookupAnswer;
}

/** The worker's end: crosses in workerData (the ports in the transfer list). */
export interface WorkerLookupPorts {
  /** Int32 counter the main thread bumps after posting each answer. */
  readonly signal: SharedArrayBuffer;
  readonly queries: MessagePort;
  readonly answers: MessagePort;
}

export interface LookupBridge {
  readonly worker: WorkerLookupPorts;
  readonly transferList: TransferListItem[];
  /** Answers the worker's queries with `answer` until the worker ends. */
  serve(answer: (request: LookupRequest) => Promise<LookupAnswer>): void;
}

export function createLookupBridge(): LookupBridge {
  const signal = new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  const counter = new Int32Array(signal);
  const queries = new MessageChannel();
  const answers = new MessageChannel();
  const mainQueries = queries.port2;
  const mainAnswers = answers.port1;
  return {
    worker: { signal, queries: queries.port1, answers: answers.port2 },
    transferList: [queries.port1, answers.port2],
    serve(answer) {
      mainQueries.on('message', (request: LookupRequest) => {
        void answer(request)
          .catch((error: unknown): LookupAnswer => ({ ok: false, code: 'K9009', message: `kube.${request.call.function}(): ${error instanceof Error ? error.message : String(error)}` }))
          .then((result) => {
            const reply: LookupReply = { seq: request.seq, answer: result };
            try {
              mainAnswers.postMessage(reply);
            } catch {
              return; // the worker is gone
            }
            Atomics.add(counter, 0, 1);
            Atomics.notify(counter, 0);
          });
      });
      // The worker thread keeps the process alive, not its bridge.
      mainQueries.unref();
      mainAnswers.unref();
    },
  };
}

/** The worker's side: a blocking ask, one query at a time (a worker runs one policy at a time). */
export function workerLookupAsk(ports: WorkerLookupPorts, now: () => number = Date.now): (request: Omit<LookupRequest, 'seq'>) => LookupAnswer {
  const counter = new Int32Array(ports.signal);
  let seq = 0;
  return (request) => {
    seq += 1;
    const mine = seq;
    let seen = Atomics.load(counter, 0);
    ports.queries.postMessage({ seq: mine, ...request } satisfies LookupRequest);
    const deadline = now() + request.remainingMs;
    for (;;) {
      for (let received = receiveMessageOnPort(ports.answers); received !== undefined; received = receiveMessageOnPort(ports.answers)) {
        const reply = received.message as LookupReply;
        if (reply.seq === mine) return reply.answer;
        // An answer to an earlier query that already gave up: dropped.
      }
      const left = deadline - now();
      if (left <= 0) {
        return { ok: false, code: 'K9003', message: `kube.${request.call.function}(): no answer within the policy's time budget (${request.remainingMs} ms left when asked)` };
      }
      // Returns at once if an answer was posted since `seen` was read, else when one is, or at the deadline.
      Atomics.wait(counter, 0, seen, left);
      seen = Atomics.load(counter, 0);
    }
  };
}

/** The lookup client of a worker's executor: every call goes over the bridge. */
export function workerLookupClient(ports: WorkerLookupPorts): LookupClient {
  const ask = workerLookupAsk(ports);
  return lookupClient((policy, call, remainingMs, generation) => ask({ generation, policy: policy.identity.key, call, remainingMs }), DEFAULT_LOOKUP_LIMITS);
}
