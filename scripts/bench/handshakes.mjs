/**
 * What a new TLS connection costs the server, by key type. The API server's webhook client keeps
 * few idle connections per webhook (client-go keeps 25), so under load it opens new ones all the
 * time, and never resumes a TLS session: every new connection is a full handshake. Two
 * `kclguard serve` processes (no policies) run side by side, one with an RSA-2048 and one with an
 * ECDSA P-256 certificate; each round sends the same review to each of them, on fresh
 * connections (no session cache) and on one kept-alive connection, in alternating order, and
 * reads each server's CPU from /proc. Medians over the rounds: ratios measured in one run.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, send } from './load.mjs';
import { startProcess } from './processes.mjs';
import { cpuPerItem, threadCpu } from './thread-cpu.mjs';

const KEYS = [
  { name: 'RSA-2048', newkey: ['rsa:2048'] },
  { name: 'ECDSA P-256', newkey: ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] },
];

/** A self-signed certificate for 127.0.0.1 with openssl; false when openssl is not there. */
function certificate(dir, key) {
  const base = join(dir, key.name.replace(/\W/g, ''));
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', ...key.newkey, '-nodes', '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return made.status === 0 ? { cert: `${base}.crt`, key: `${base}.key` } : false;
}

/** `count` reviews one at a time, each on a new connection (`kept` undefined) or all on `kept`. */
async function reviews(url, body, count, kept) {
  for (let i = 0; i < count; i++) {
    // No TLS session cache: like the API server's client, every new connection is a full handshake.
    const agent = kept ?? new Agent({ keepAlive: false, maxCachedSessions: 0, rejectUnauthorized: false });
    const { status, text } = await send(agent, `${url}/validate?timeout=10s`, { body });
    if (status !== 200) throw new Error(`${url}/validate answered ${status}: ${text.slice(0, 300)}`);
    if (!kept) agent.destroy();
  }
}

/**
 * Server CPU µs per review on a new connection and on a kept-alive one, per key type
 * (`{ rows }`), or `{ skipped }` with the reason when openssl cannot make the certificates.
 */
export async function handshakeCost({ main, body, rounds = 5, perRound = 400 }) {
  const dir = mkdtempSync(join(tmpdir(), 'kclguard-bench-tls-'));
  const servers = [];
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  try {
    for (const key of KEYS) {
      const files = certificate(dir, key);
      if (!files) return { skipped: 'openssl could not make the certificates' };
      const server = await startProcess(process.execPath, [main, 'serve', '--policies', policies, '--port', '0', '--cert', files.cert, '--key', files.key, '--log-level', 'error', '--shutdown-grace-seconds', '1'], {
        env: { ...process.env, XDG_CACHE_HOME: dir },
        ready: (output) => /kclguard serving (https:\/\/\S+)/.exec(output)?.[1],
        name: `kclguard serve (${key.name})`,
      });
      servers.push({ key, server, fresh: [], kept: [] });
    }
    for (let round = 0; round <= rounds; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const entry of order) {
        const kept = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
        // Four times as many kept-alive reviews: each costs a fraction of a new connection, and
        // /proc counts CPU in 10 ms ticks.
        for (const [list, agent, count] of [[entry.fresh, undefined, perRound], [entry.kept, kept, 4 * perRound]]) {
          const before = threadCpu(entry.server.pid);
          await reviews(entry.server.ready, body, count, agent);
          const used = cpuPerItem(before, threadCpu(entry.server.pid), count);
          // Round 0 warms both servers up and is not counted.
          if (round > 0 && used) list.push(used.total);
        }
        kept.destroy();
      }
    }
    return { rows: servers.map(({ key, fresh, kept }) => ({ key: key.name, freshUs: median(fresh), keptUs: median(kept) })) };
  } finally {
    for (const { server } of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
