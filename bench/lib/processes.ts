// Child processes for the benchmark: the ZeroDrop server, the raw baseline server and
// the load generator each run in their own Node process, so none measures itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const REPO_ROOT = new URL('../..', import.meta.url).pathname;

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly baseUrl: string;
  /** Milliseconds from spawn until `readyPath` first answered 200. */
  readonly startupMs: number;
  /** Peak resident set size so far (Linux VmHWM), in MiB. */
  peakRssMib(): number;
  /** Current resident set size (Linux VmRSS), in MiB. */
  rssMib(): number;
  /** CPU time (user + system) the process has used so far, in seconds. */
  cpuSeconds(): number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartServerOptions {
  name: string;
  /** Arguments after `node` (flags and the entry script). */
  nodeArgs: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  timeoutMs?: number;
}

function readStatusKib(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Linux clock ticks per second (USER_HZ), which /proc/<pid>/stat counts in. */
const CLOCK_TICKS_PER_SECOND = 100;

function readCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keeps the last lines a child wrote, to explain a failed start. */
function captureTail(child: ChildProcess, name: string, echo: boolean): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      lines.push(line);
      if (lines.length > 40) lines.shift();
      if (echo) process.stderr.write(`[${name}] ${line}\n`);
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, options.nodeArgs, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail = captureTail(child, options.name, process.env.BENCH_VERBOSE === '1');
  let exited: number | null = null;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? (signal ? 128 : 1);
      resolve();
    }),
  );
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let startupMs = -1;
  while (startupMs < 0) {
    if (exited !== null) throw new Error(`${options.name} exited with ${exited} before it was ready:\n${tail()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} was not ready within ${options.timeoutMs ?? 120_000} ms:\n${tail()}`);
    }
    try {
      const res = await fetch(baseUrl + options.readyPath, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) startupMs = performance.now() - started;
    } catch {
      // not listening yet
    }
    if (startupMs < 0) await sleep(10);
  }
  const pid = child.pid!;
  return {
    name: options.name,
    pid,
    baseUrl,
    startupMs,
    peakRssMib: () => readStatusKib(pid, 'VmHWM') / 1024,
    rssMib: () => readStatusKib(pid, 'VmRSS') / 1024,
    cpuSeconds: () => readCpuSeconds(pid),
    stop: async (graceMs = 15_000) => {
      if (exited !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** Runs a Node script to completion; rejects with its output on a non-zero exit. */
export async function runNode(nodeArgs: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, nodeArgs, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
  if (code !== 0) throw new Error(`node ${nodeArgs.join(' ')} exited with ${code}:\n${stderr || stdout}`);
  return stdout;
}
