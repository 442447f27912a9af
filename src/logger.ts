import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths whose values never reach the logs. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers["x-player-token"]',
  'req.headers.cookie',
  'headers.authorization',
  'headers["x-player-token"]',
  'authorization',
  '*.authorization',
  '*.secret',
  '*.secrets',
  '*.privateKeyPem',
  '*.apiKey',
  '*.paymentsApiKey',
  '*.webhookApiKey',
  '*.extSecret',
  '*.token',
  '*.password',
  'secret',
  'secrets',
  'token',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'zerodrop' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
}

/**
 * The process logger: human-readable lines (pino-pretty) when stdout is a terminal in
 * development, one JSON object per line otherwise (log collectors, files, pipes).
 * LOG_FORMAT=json|pretty overrides the choice.
 */
export async function createProcessLogger(
  env: { LOG_LEVEL: string; LOG_FORMAT: 'auto' | 'json' | 'pretty'; NODE_ENV: string },
  stdout: NodeJS.WritableStream & { isTTY?: boolean; hasColors?: () => boolean } = process.stdout,
): Promise<Logger> {
  const pretty = env.LOG_FORMAT === 'pretty' || (env.LOG_FORMAT === 'auto' && env.NODE_ENV === 'development' && stdout.isTTY === true);
  const own = stdout === process.stdout; // pino's own fd-1 writer is faster than the stream
  if (!pretty) return createLogger(env.LOG_LEVEL, own ? undefined : (stdout as pino.DestinationStream));
  // Loaded only for a terminal: production never pays for it.
  const { default: pinoPretty } = await import('pino-pretty');
  return createLogger(
    env.LOG_LEVEL,
    pinoPretty({
      colorize: stdout.hasColors?.() ?? false,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,service',
      destination: own ? 1 : stdout,
      sync: true,
    }),
  );
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
