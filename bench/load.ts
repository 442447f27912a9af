// The load generator: one autocannon run, in its own process so it never shares an event
// loop with a server. Reads a LoadSpec (JSON file named by argv[2]), writes a LoadResult
// to spec.resultFile. Kept light on purpose: the machine has two cores and this process
// competes with the server and the database for them.
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections; unset means as fast as the server answers. */
  overallRate?: number;
  /** The same body on every request. */
  body?: string;
  /**
   * A different body per request: line i of `file` replaces `placeholder` in `template`.
   * With `cycle`, lines are reused round-robin; without, the run stops before any line is
   * used twice (each pre-signed purchase is submitted once).
   */
  bodies?: { file: string; template: string; placeholder: string; cycle: boolean };
  /** Every answer must contain this text, or it counts as unexpected. */
  expect: string;
  resultFile: string;
}

export interface LatencySummary {
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  rps: number;
  latencyMs: LatencySummary;
  non2xx: number;
  errors: number;
  timeouts: number;
  unexpected: number;
  firstUnexpected: string | null;
  /** The body pool ran out before the duration did (the run is shorter, still valid). */
  exhausted: boolean;
  /** CPU the load generator itself used, as a share of one core. */
  generatorCpuShare: number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadSpec;
  const lines = spec.bodies ? readFileSync(spec.bodies.file, 'utf8').split('\n').filter((line) => line !== '') : [];
  let next = 0;
  let unexpected = 0;
  let firstUnexpected: string | null = null;

  const requestBody = (): string => {
    const bodies = spec.bodies!;
    const line = lines[next % lines.length]!;
    next += 1;
    return bodies.template.replace(bodies.placeholder, line);
  };

  // Without cycling, `amount` caps the run at the pool size (less a margin: autocannon
  // builds one request per connection ahead of sending it).
  const amount = spec.bodies && !spec.bodies.cycle ? Math.max(1, lines.length - spec.connections * 2) : undefined;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const instance = autocannon({
    url: spec.url,
    method: spec.method,
    headers: spec.headers,
    connections: spec.connections,
    ...(amount === undefined ? { duration: spec.durationSeconds } : { amount }),
    ...(spec.overallRate ? { overallRate: spec.overallRate } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    requests: [
      {
        ...(spec.bodies
          ? {
              setupRequest: (request: autocannon.Request) => {
                request.body = requestBody();
                return request;
              },
            }
          : {}),
        onResponse: (status: number, body: string) => {
          if (status === 200 && body.includes(spec.expect)) return;
          unexpected += 1;
          firstUnexpected ??= `${status} ${body.slice(0, 500)}`;
        },
      },
    ],
  });
  const timer = amount === undefined ? undefined : setTimeout(() => instance.stop(), spec.durationSeconds * 1000);
  const result = await instance;
  if (timer) clearTimeout(timer);
  const wallMs = performance.now() - wallBefore;
  const cpu = process.cpuUsage(cpuBefore);

  const durationSeconds = result.duration;
  const requests = result.requests.total;
  const output: LoadResult = {
    requests,
    durationSeconds,
    rps: requests / durationSeconds,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    unexpected,
    firstUnexpected,
    exhausted: amount !== undefined && requests >= amount,
    generatorCpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
  };
  writeFileSync(spec.resultFile, JSON.stringify(output, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
