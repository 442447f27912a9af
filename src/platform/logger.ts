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
