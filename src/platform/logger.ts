import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach the logs (besides each store's secret names, see createLogger). */
const baseRedactPaths = [
  'req.headers.authorization',
  'req.headers["x-player-token"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-player-token"]',
  'authorization',
  '*.authorization',
  '*.secret',
  '*.secrets',
  '*.apiKey',
  '*.token',
  '*.password',
  'secret',
  'secrets',
  'token',
];

/** The redacted paths, with the store secrets' names (`*.<name>`, as in a settings object). */
export function redactPaths(secretNames: readonly string[] = []): string[] {
  return [...baseRedactPaths, ...secretNames.map((name) => `*.${name}`)];
}

/** `secretNames`: the store modules' secret field names (StoreCatalog.secretNames()). */
export function createLogger(level: string, destination?: pino.DestinationStream, secretNames: readonly string[] = []): Logger {
  return pino(
    {
      level,
      base: { service: 'zerodrop' },
      redact: { paths: redactPaths(secretNames), censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/**
 * Where the process logs: human-readable lines (pino-pretty) when stdout is a terminal in
 * development, one JSON object per line otherwise (log collectors, files, pipes) — then
 * undefined, pino's own stdout writer. LOG_FORMAT=json|pretty overrides the choice.
 */
export async function processLogDestination(
  env: { LOG_FORMAT: 'auto' | 'json' | 'pretty'; NODE_ENV: string },
  stdout: NodeJS.WritableStream & { isTTY?: boolean; hasColors?: () => boolean } = process.stdout,
): Promise<pino.DestinationStream | undefined> {
  const pretty = env.LOG_FORMAT === 'pretty' || (env.LOG_FORMAT === 'auto' && env.NODE_ENV === 'development' && stdout.isTTY === true);
  const own = stdout === process.stdout; // pino's own fd-1 writer is faster than the stream
  if (!pretty) return own ? undefined : (stdout as pino.DestinationStream);
  // Loaded only for a terminal: production never pays for it.
  const { default: pinoPretty } = await import('pino-pretty');
  return pinoPretty({
    colorize: stdout.hasColors?.() ?? false,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service',
    destination: own ? 1 : stdout,
    sync: true,
  });
}

const ORDER_LOG_LINES: Partial<Record<string, string>> = {
  ORDER_DELIVERED: 'order delivered',
  ORDER_REVOKED: 'order revoked',
};

/** One info line per delivered or revoked order, after its transaction committed. */
export function logOrderEvents(logger: Logger, events: readonly { type: string; orderId: string | null; appId: string; store?: string | undefined }[]): void {
  if (!logger.isLevelEnabled('info')) return;
  for (const event of events) {
    const line = ORDER_LOG_LINES[event.type];
    if (line) logger.info({ orderId: event.orderId, store: event.store, appId: event.appId }, line);
  }
}
