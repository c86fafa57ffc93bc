// The fault suite's access to the cluster: kubectl and helm as child processes for setup and
// faults, and raw HTTPS writes with the admin kubeconfig's client certificate for the load, so
// that 20 writes per second cost no process start each.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import yaml from 'js-yaml';

export function run(command, args, { input, allowFailure = false, timeoutMs = 300_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      if (code !== 0 && !allowFailure) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.trim() || stdout.trim()}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}

export const kubectl = (args, options) => run('kubectl', args, options);
export const helm = (args, options) => run('helm', args, options);

export async function applyYaml(docs) {
  await kubectl(['apply', '-f', '-'], { input: docs.map((d) => yaml.dump(d)).join('---\n') });
}

/** A client for the API server of $KUBECONFIG (client-certificate users only, as cluster.sh writes). */
export function apiClient(kubeconfigPath = process.env.KUBECONFIG) {
  const config = yaml.load(readFileSync(kubeconfigPath, 'utf8'));
  const context = config.contexts.find((c) => c.name === config['current-context']).context;
  const cluster = config.clusters.find((c) => c.name === context.cluster).cluster;
  const user = config.users.find((u) => u.name === context.user).user;
  const pem = (data, file) => (data ? Buffer.from(data, 'base64') : readFileSync(file));
  const server = new URL(cluster.server);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 64,
    ca: pem(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: pem(user['client-certificate-data'], user['client-certificate']),
    key: pem(user['client-key-data'], user['client-key']),
  });
  /** Resolves {status, body} or {error} (network failure, timeout); never rejects. */
  function request(method, path, body, timeoutMs = 15_000) {
    return new Promise((resolve) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        { host: server.hostname, port: server.port, method, path, agent, timeout: timeoutMs, headers: payload ? { 'content-type': 'application/json' } : {} },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => {
            let parsed;
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = { message: text };
            }
            resolve({ status: res.statusCode, body: parsed });
          });
          res.on('error', (error) => resolve({ error: error.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (error) => resolve({ error: error.message }));
      req.end(payload);
    });
  }
  return { request, close: () => agent.destroy() };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (async, truthy = done) every `everyMs` until `timeoutMs`; returns its value or throws. */
export async function waitFor(what, check, { timeoutMs = 120_000, everyMs = 1000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(everyMs);
  }
}
