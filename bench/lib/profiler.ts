// CPU profiles of the ZeroDrop process for exactly one load run: the server starts with
// --inspect, and the Chrome DevTools protocol starts and stops V8's sampling profiler
// around the run (unlike --cpu-prof, start-up is not mixed in). `summarize` attributes
// self time to packages, so a README can say where the time goes.
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time, in ms (idle included). */
  sampledMs: number;
  /** Share of busy (non-idle) time by package or runtime category, largest first. */
  busyShareByPackage: { name: string; percent: number }[];
}

export class InspectorSession {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (result: unknown) => void>();
  #nextId = 0;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as { id?: number; result?: unknown };
      if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message.result);
        this.#pending.delete(message.id);
      }
    });
  }

  static async connect(inspectPort: number): Promise<InspectorSession> {
    const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
    const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const session = new InspectorSession(socket);
    await session.call('Profiler.enable');
    await session.call('Profiler.setSamplingInterval', { interval: 500 });
    return session;
  }

  call(method: string, params: Record<string, unknown> = {}): Promise<unknown> {
    const id = ++this.#nextId;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(JSON.stringify({ id, method, params }));
    });
  }

  /** Profiles `work`, writes the .cpuprofile to `file` and returns its summary. */
  async profile<T>(file: string, work: () => Promise<T>): Promise<{ result: T; summary: ProfileSummary }> {
    await this.call('Profiler.start');
    const result = await work();
    const { profile } = (await this.call('Profiler.stop')) as { profile: CpuProfile };
    writeFileSync(file, JSON.stringify(profile));
    return { result, summary: summarize(profile) };
  }

  close(): void {
    this.#socket.close();
  }
}

/** The package a frame's script belongs to ("@prisma/client", "graphql"), or a runtime category. */
function categoryOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  const nodeModule = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nodeModule) return nodeModule[1]!;
  if (url.includes('/src/')) return `src/${url.split('/src/')[1]!.split('/')[0]!.replace(/\.ts$/, '')}`;
  if (url.startsWith('node:')) return 'node: (runtime JS)';
  if (url.startsWith('wasm')) return 'wasm';
  if (url === '') return `(${functionName.replace(/[()]/g, '')})`;
  return url.split('/').slice(-2).join('/');
}

export function summarize(profile: CpuProfile): ProfileSummary {
  const selfTime = new Map<number, number>();
  profile.samples.forEach((id, index) => selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  const byCategory = new Map<string, number>();
  let total = 0;
  let busy = 0;
  for (const node of profile.nodes) {
    const time = selfTime.get(node.id) ?? 0;
    total += time;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += time;
    const category = categoryOf(node);
    byCategory.set(category, (byCategory.get(category) ?? 0) + time);
  }
  const busyShareByPackage = [...byCategory.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([name, time]) => ({ name, percent: Math.round((1000 * time) / busy) / 10 }));
  return { sampledMs: Math.round(total / 1000), busyShareByPackage };
}
