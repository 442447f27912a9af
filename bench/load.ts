// The load generator: one autocannon run, in its own process so it never shares an event
// loop with a server. Reads a LoadSpec (JSON file named by argv[2]), writes a LoadResult
// to spec.resultFile. Kept light on purpose: the machine has two cores and this process
// competes with the server and the database for them.
import { readFileSync, writeFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { loadTest } from 'loadtest';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
  /** Requests per second across all connections; unset means as fast as the server answers. */
  overallRate?: number;
  /**
   * With overallRate: send on a fixed schedule whether or not answers have come (an open
   * model, like real clients), through `loadtest`. autocannon's own rate limit sends each
   * connection's quota for a second at once, so its latencies at a rate measure bursts.
   */
  paced?: boolean;
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

interface PacedResult {
  totalRequests: number;
  totalTimeSeconds: number;
  meanLatencyMs: number;
  maxLatencyMs: number;
  percentiles: Record<string, number>;
  errorCodes?: Record<string, number>;
}

type RequestClient = (options: unknown, callback: unknown) => { end(body: string): void };

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

  const check = (status: number, body: string) => {
    if (status === 200 && body.includes(spec.expect)) return;
    unexpected += 1;
    firstUnexpected ??= `${status} ${body.slice(0, 500)}`;
  };

  if (spec.paced && spec.overallRate) {
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    const maxRequests = spec.bodies && !spec.bodies.cycle ? lines.length : undefined;
    // Typed by hand: loadtest's bundled typings predate its promise API.
    const paced = (await (loadTest as unknown as (options: Record<string, unknown>) => Promise<PacedResult>)({
      url: spec.url,
      method: spec.method,
      requestsPerSecond: spec.overallRate,
      maxSeconds: spec.durationSeconds,
      ...(maxRequests === undefined ? {} : { maxRequests }),
      agentKeepAlive: true,
      quiet: true,
      requestGenerator: (_params: unknown, options: { headers: Record<string, string | number> }, client: RequestClient, callback: unknown) => {
        const body = spec.bodies ? requestBody() : (spec.body ?? '');
        Object.assign(options.headers, spec.headers, { 'content-length': Buffer.byteLength(body) });
        const request = client(options, callback);
        request.end(body);
        return request;
      },
      statusCallback: (error: Error | null, result: { statusCode: number; body: string } | undefined) => {
        if (error || !result) {
          unexpected += 1;
          firstUnexpected ??= String(error);
        } else check(result.statusCode, result.body);
      },
    }));
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const output: LoadResult = {
      requests: paced.totalRequests,
      durationSeconds: paced.totalTimeSeconds,
      rps: paced.totalRequests / paced.totalTimeSeconds,
      latencyMs: {
        mean: paced.meanLatencyMs,
        p50: paced.percentiles['50'] ?? 0,
        p90: paced.percentiles['90'] ?? 0,
        p99: paced.percentiles['99'] ?? 0,
        max: paced.maxLatencyMs,
      },
      non2xx: Object.entries(paced.errorCodes ?? {}).reduce((sum, [code, count]) => sum + (code.startsWith('2') ? 0 : count), 0),
      errors: 0,
      timeouts: 0,
      unexpected,
      firstUnexpected,
      exhausted: maxRequests !== undefined && paced.totalRequests >= maxRequests,
      generatorCpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
    };
    writeFileSync(spec.resultFile, JSON.stringify(output, null, 2));
    return;
  }

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
        onResponse: check,
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
