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
