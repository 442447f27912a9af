// Child processes for the tests that must exercise the real entry points (src/main.ts,
// bin/zerodrop.js): run to completion, or start a server and stop it with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { freePort } from '../helpers/free-port.js';
import { fileURLToPath } from 'node:url';

/**
 * For tests that start Node processes or the wasm schema engine: seconds each when the
 * machine is idle, many more on a busy CI runner running both suites side by side.
 */
export const SLOW = { timeout: 120_000 } as const;

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx');

/**
 * Only what a shell on a fresh machine would have, plus `vars`: nothing leaks in from the
 * test runner (DATABASE_URL, REDIS_URL, NODE_ENV=test, …) unless a test passes it.
 */
function childEnv(vars: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, ...vars };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node <script> …args` (TypeScript through tsx), run to completion. */
export function runProcess(args: string[], vars: Record<string, string>, timeoutMs = 60_000): Promise<Finished> {
  return runNode(['--import', tsx, ...args], vars, timeoutMs);
}

/** `node …args` exactly as given (bin/zerodrop.js brings its own tsx). */
export function runNode(args: string[], vars: Record<string, string>, timeoutMs = 60_000): Promise<Finished> {
  const child = spawn(process.execPath, args, { cwd: repoRoot, env: childEnv(vars) });
  return collect(child, timeoutMs);
}

function collect(child: ChildProcess, timeoutMs: number): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningServer {
  baseUrl: string;
  /** Output so far. */
  stdout(): string;
  /** Waits until stdout matches (the server prints some things after it starts listening). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stderr(): string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<Finished>;
}

/** Starts `src/main.ts` on a free port and waits until /health answers. */
export async function startServer(vars: Record<string, string>, timeoutMs = 60_000): Promise<RunningServer> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', tsx, 'src/main.ts'], {
    cwd: repoRoot,
    env: childEnv({ HOST: '127.0.0.1', PORT: String(port), ...vars }),
  });
  const finished = collect(child, timeoutMs + 30_000);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited: Finished | null = null;
  void finished.then((f) => (exited = f)).catch(() => {});

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`server exited before answering /health\nstdout: ${stdout}\nstderr: ${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not answer /health within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
    }
    const healthy = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(1000) })
      .then((res) => res.ok)
      .catch(() => false);
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    baseUrl,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForStdout: async (pattern, waitMs = 10_000) => {
      const until = Date.now() + waitMs;
      while (!pattern.test(stdout)) {
        if (exited || Date.now() > until) throw new Error(`stdout never matched ${pattern}\nstdout: ${stdout}\nstderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return stdout;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return finished;
    },
  };
}
