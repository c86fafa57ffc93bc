/**
 * The reference KCL in a long-lived Python process (scripts/kcl_reference_server.py): programs go
 * in one JSON line at a time, outcomes come back the same way. A program the reference cannot
 * finish (it has no step limit; deep recursion overflows its native stack) times out or kills
 * the process: the outcome is `{hung: true}` and a fresh process takes over.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The reference's python, installing it on first use (install-kcl-reference.sh prints it). */
export function referencePython() {
  if (process.env.KCL_REFERENCE_PYTHON) return process.env.KCL_REFERENCE_PYTHON;
  const r = spawnSync('bash', [join(SCRIPTS, 'install-kcl-reference.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('install-kcl-reference.sh failed');
  return r.stdout.trim().split('\n').pop();
}

export class Reference {
  constructor({ timeoutMs = 10_000 } = {}) {
    this.python = referencePython();
    this.timeoutMs = timeoutMs;
    this.nextId = 1;
    this.restarts = 0;
    this.start();
  }

  start() {
    // The server's scratch directory is made and removed here: a server that hangs is killed
    // (SIGKILL) and gets no chance to clean up after itself.
    const scratch = mkdtempSync(join(tmpdir(), 'kclguard-fuzz-'));
    this.child = spawn(this.python, [join(SCRIPTS, 'kcl_reference_server.py'), scratch], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { ...process.env, KCLGUARD_IN_REFERENCE_PYTHON: '1' },
    });
    this.pending = new Map();
    const lines = createInterface({ input: this.child.stdout });
    lines.on('line', (line) => {
      const reply = JSON.parse(line);
      const waiter = this.pending.get(reply.id);
      if (waiter) {
        this.pending.delete(reply.id);
        waiter(reply);
      }
    });
    const child = this.child;
    child.on('exit', () => {
      rmSync(scratch, { recursive: true, force: true });
      if (this.child !== child) return;
      for (const waiter of this.pending.values()) waiter({ hung: true });
      this.pending.clear();
      this.child = undefined;
    });
  }

  /** Runs one program; resolves to the server's reply, or `{hung: true}`. */
  run(source) {
    if (!this.child) {
      this.restarts++;
      this.start();
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.kill();
        resolve({ hung: true });
      }, this.timeoutMs);
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.child.stdin.write(JSON.stringify({ id, source }) + '\n');
    });
  }

  kill() {
    const child = this.child;
    this.child = undefined;
    if (child) {
      for (const waiter of this.pending.values()) waiter({ hung: true });
      this.pending.clear();
      child.kill('SIGKILL');
    }
  }

  close() {
    const child = this.child;
    this.child = undefined;
    child?.stdin.end();
    child?.kill();
  }
}
