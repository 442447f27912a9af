// Real ZeroDrop server processes (`node --import tsx src/main.ts`), killed with SIGKILL
// and restarted by the harness. A process that dies on its own is restarted too: after
// a failpoint (expected, counted by name) or for any other reason (a bug, reported).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { FAILPOINT_NOTICE_PREFIX } from '../../../src/platform/failpoints.js';
import { send, sleep } from './api.js';

const READY_TIMEOUT_MS = 90_000;
/** Pause before restarting a process that died by itself (as a supervisor would). */
const RESTART_DELAY_MS = 100;

export interface InstanceOptions {
  name: string;
  port: number;
  /** Environment on top of the harness's own (PATH and so on). */
  env: Record<string, string>;
  logDir: string;
  repoRoot: string;
}

export interface UnexpectedExit {
  instance: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  lastStderr: string[];
}

export class ServerInstance {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** Completed starts (the process answered /ready). */
  starts = 0;
  readonly failpointDeaths = new Map<string, number>();
  readonly unexpectedExits: UnexpectedExit[] = [];
  /** Set when a supervised restart could not bring the process back. */
  restartFailure: Error | null = null;

  readonly #options: InstanceOptions;
  readonly #log: WriteStream;
  #failpoints = '';
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();
  /** Set while the harness itself stops or kills the process. */
  #stopping = false;
  /** Restart after a death the harness did not cause. */
  #supervised = true;
  #restarting: Promise<void> | null = null;
  /** After close() or abandon(): never started again. */
  #closed = false;
  #ready = false;
  #recentStderr: string[] = [];
  #lastFailpoint: string | null = null;

  constructor(options: InstanceOptions) {
    this.#options = options;
    this.name = options.name;
    this.port = options.port;
    this.url = `http://127.0.0.1:${options.port}`;
    this.#log = createWriteStream(join(options.logDir, `${options.name}.log`), { flags: 'a' });
  }

  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  /** Running and answering /ready since its last start. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Failpoints for the next start (ZERODROP_FAILPOINTS syntax). */
  setFailpoints(spec: string): void {
    this.#failpoints = spec;
  }

  /** Spawns the process and waits until /ready answers 200. */
  async start(): Promise<void> {
    if (this.#closed) throw new Error(`${this.name} is closed`);
    if (this.#child) throw new Error(`${this.name} is already running`);
    this.#stopping = false;
    this.#supervised = true;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: this.#options.repoRoot,
      env: { ...process.env, ...this.#options.env, PORT: String(this.port), ZERODROP_FAILPOINTS: this.#failpoints },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#lastFailpoint = null;
    this.#recentStderr = [];
    this.#log.write(`\n--- ${new Date().toISOString()} start pid=${child.pid} failpoints=${this.#failpoints || 'none'}\n`);
    child.stdout?.pipe(this.#log, { end: false });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.#log.write(`${line}\n`);
      if (line.startsWith(FAILPOINT_NOTICE_PREFIX)) this.#lastFailpoint = line.slice(FAILPOINT_NOTICE_PREFIX.length).trim();
      this.#recentStderr.push(line);
      if (this.#recentStderr.length > 20) this.#recentStderr.shift();
    });
    this.#exited = new Promise<void>((resolve) => {
      // 'close', not 'exit': only then has all of stderr been read (the failpoint notice).
      child.once('close', (code, signal) => {
        this.#log.write(`--- ${new Date().toISOString()} exit pid=${child.pid} code=${code} signal=${signal}\n`);
        if (this.#child === child) {
          this.#child = null;
          this.#ready = false;
        }
        this.#onExit(code, signal);
        resolve();
      });
    });
    await this.#waitReady(child);
    this.#ready = true;
    this.starts += 1;
  }

  async #waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.#child !== child) throw new InstanceDiedError(this.name);
      const answer = await send(`${this.url}/ready`, { method: 'GET' });
      if (answer.ok && answer.value.status === 200) return;
      await sleep(100);
    }
    throw new Error(`${this.name} did not become ready within ${READY_TIMEOUT_MS} ms (log: ${this.#options.logDir})`);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#stopping) return;
    if (signal === 'SIGKILL' && this.#lastFailpoint) {
      this.failpointDeaths.set(this.#lastFailpoint, (this.failpointDeaths.get(this.#lastFailpoint) ?? 0) + 1);
    } else {
      this.unexpectedExits.push({ instance: this.name, code, signal, lastStderr: [...this.#recentStderr] });
    }
    // A restart loop already running (this death happened while it was starting) carries on.
    if (this.#supervised && !this.#restarting) this.#restartSoon();
  }

  #restartSoon(): void {
    this.#restarting = (async () => {
      await sleep(RESTART_DELAY_MS);
      // A failpoint can fire again while starting (the worker resumes acks at once).
      while (!this.#child && this.#supervised && !this.#closed) {
        try {
          await this.start();
        } catch (error) {
          if (!(error instanceof InstanceDiedError)) throw error;
        }
      }
    })()
      .catch((error: unknown) => {
        this.restartFailure ??= error instanceof Error ? error : new Error(String(error));
      })
      .finally(() => {
        this.#restarting = null;
      });
  }

  /** SIGKILL now, as a power cut would; waits for the exit. Restart with start(). */
  async kill(): Promise<void> {
    await this.#restarting?.catch(() => {});
    const child = this.#child;
    if (!child) return;
    this.#stopping = true;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** Kills and starts again (the harness's random kills). */
  async killAndRestart(): Promise<void> {
    await this.kill();
    try {
      await this.start();
    } catch (error) {
      // A failpoint killed it while starting: the supervisor is already restarting it.
      if (!(error instanceof InstanceDiedError)) throw error;
      await this.settled();
    }
  }

  /** Waits until a supervised restart in progress (after a failpoint) has finished. */
  async settled(): Promise<void> {
    while (this.#restarting) await this.#restarting;
    if (this.restartFailure) throw this.restartFailure;
  }

  /** Graceful stop (SIGTERM), no restart. */
  async stop(): Promise<void> {
    this.#supervised = false;
    await this.#restarting?.catch(() => {});
    const child = this.#child;
    if (!child) return;
    this.#stopping = true;
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await this.#exited;
    clearTimeout(forced);
  }

  async close(): Promise<void> {
    await this.stop();
    this.#closed = true;
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  /** Interrupted run: SIGKILL at once, never restart. */
  abandon(): void {
    this.#closed = true;
    this.#supervised = false;
    this.#stopping = true;
    this.#child?.kill('SIGKILL');
  }
}

class InstanceDiedError extends Error {
  constructor(name: string) {
    super(`${name} exited while starting`);
  }
}
