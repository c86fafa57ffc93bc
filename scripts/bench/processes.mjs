/**
 * Child processes of the benchmarks: each one started here is remembered by its PID and stopped
 * by that PID (SIGTERM, then SIGKILL after a grace period), and whatever is still running when the
 * bench exits — normally, on an error or on Ctrl-C — is killed, so a bench never leaves a server
 * behind. Nothing is ever stopped by name. The benches' temporary directories (`scratchDir`) go
 * at exit too: on Ctrl-C the benches' own `finally` blocks do not run.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set();
const scratch = new Set();

/** A new temporary directory (`prefix` plus random characters) that is removed when the bench exits. */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.add(dir);
  return dir;
}

function cleanUp() {
  killAll();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  scratch.clear();
}

function killAll() {
  for (const child of children) {
    try {
      // Servers started detached lead their own process group: signal the group.
      process.kill(child.detached ? -child.pid : child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

/**
 * Starts a server process. `ready(output)` is called on every chunk of its stdout+stderr and
 * resolves the start when it returns a truthy value (which becomes `started.ready`); the start
 * fails when the process exits first or `timeoutMs` passes. `logFile`: every chunk is appended there.
 */
export function startProcess(command, args, { env, cwd, ready, timeoutMs = 60_000, detached = false, name = command, logFile } = {}) {
  const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached });
  const entry = { pid: child.pid, detached, child };
  children.add(entry);
  let output = '';
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(entry);
      resolve(code ?? signal);
    });
    // A command that cannot be started (missing, not executable, no such cwd) never exits.
    child.on('error', (error) => {
      children.delete(entry);
      output += `\n${error.message}`;
      resolve(error.code ?? 'error');
    });
  });
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs / 1000}s:\n${output.slice(-4000)}`)), timeoutMs);
    const onData = (chunk) => {
      // Keep the tail only: a chatty server must not grow the bench's memory without bound.
      output = (output + chunk).slice(-256 * 1024);
      if (logFile) appendFileSync(logFile, chunk);
      const value = ready ? ready(output) : true;
      if (value) {
        clearTimeout(timer);
        resolve(value);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code}:\n${output.slice(-4000)}`));
    });
  });
  const handle = {
    pid: child.pid,
    output: () => output,
    exited,
    /** SIGTERM to this PID (its group when detached), SIGKILL after `graceMs`; resolves once it is gone. */
    async stop(graceMs = 10_000) {
      if (!children.has(entry)) return;
      const signal = (sig) => {
        try {
          process.kill(detached ? -child.pid : child.pid, sig);
        } catch {
          // already gone
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  return started.then((ready) => Object.assign(handle, { ready }));
}

/** Runs a command to completion; resolves with its code and output (never rejects on a non-zero exit). */
export function runCommand(command, args, { input, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}
