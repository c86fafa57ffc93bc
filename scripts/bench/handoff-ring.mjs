/**
 * The shared-memory transport of handoff.mjs: per direction a ring of fixed-size slots in a
 * SharedArrayBuffer, and a counter of messages written that the reader waits on (Atomics). A
 * writer never has more than INFLIGHT messages unread, far fewer than the ring's slots, so it
 * never overwrites one: enough for a measurement, not a general queue.
 */
export const TRANSPORTS = ['message', 'shared', 'poll'];
/** The worker's answer to every job: a report of about a 10-policy review's size. */
export const REPORT = 'r'.repeat(1024);
const SLOTS = 64;
const TO_WORKER = 0;
const FROM_WORKER = 1;

function ring(buffer, slotBytes) {
  const bytes = Buffer.from(buffer);
  return {
    write(index, text) {
      const at = (index % SLOTS) * slotBytes;
      const length = bytes.write(text, at + 4, 'utf8');
      if (length > slotBytes - 4) throw new Error('message larger than a ring slot');
      bytes.writeUInt32LE(length, at);
    },
    read(index) {
      const at = (index % SLOTS) * slotBytes;
      return bytes.toString('utf8', at + 4, at + 4 + bytes.readUInt32LE(at));
    },
  };
}

/** Both rings and their counters, on either side, from what `ringBuffers().shared` holds. */
export function attachRings(shared) {
  const counters = new Int32Array(shared.counters);
  const toWorker = ring(shared.toWorker, shared.slotBytes);
  const send = (state, job) => {
    toWorker.write(state.sent, job);
    state.sent += 1;
    Atomics.store(counters, TO_WORKER, state.sent);
    Atomics.notify(counters, TO_WORKER);
  };
  return {
    counters,
    TO_WORKER,
    FROM_WORKER,
    toWorker,
    fromWorker: ring(shared.fromWorker, shared.slotBytes),
    send,
    /** Sends the first `inflight` of `count` more jobs; the state counts on from earlier runs. */
    start(inflight, count, job) {
      const base = Atomics.load(counters, FROM_WORKER);
      const state = { sent: base, answered: base, target: base + count };
      while (state.sent < base + Math.min(inflight, count)) send(state, job);
      return state;
    },
  };
}

export function ringBuffers(slotBytes) {
  const size = SLOTS * slotBytes;
  const shared = { counters: new SharedArrayBuffer(8), toWorker: new SharedArrayBuffer(size), fromWorker: new SharedArrayBuffer(size), slotBytes };
  return { shared, ...attachRings(shared) };
}
