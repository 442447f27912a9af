// Telling a database that is down or refusing connections from any other failure.
/** SQLSTATEs of a database that is stopping, starting or refusing connections. */
const UNAVAILABLE_SQLSTATE = '57P0[123]|08[0-9A-Z]{3}|53300';

/**
 * Connection-level failures (database down, pool exhausted) become a typed, retryable error.
 * Besides the driver's network errors: pg-pool's "timeout exceeded when trying to connect"
 * (no pooled connection freed up in time) and "Client has encountered a connection error",
 * and the server's SQLSTATEs while it stops or starts — 57P01-57P03 ("the database system
 * is shutting down", "... is starting up", "... in recovery mode"), class 08 (connection
 * exception) and 53300 (too many connections), as pg's error code or in Prisma's message
 * ("Code: `57P03`"). The chaos database-outage test hits each of these.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && new RegExp(`^(${UNAVAILABLE_SQLSTATE})$`).test(code)) return true;
  const text = err instanceof Error ? `${err.name} ${err.message} ${typeof code === 'string' ? code : ''}` : String(err);
  return (
    new RegExp(`Code: \`(${UNAVAILABLE_SQLSTATE})\``).test(text) ||
    /ECONNREFUSED|ECONNRESET|EPIPE|Connection terminated|connection error|Can't reach database|P1001|P1017|P2024|DatabaseNotReachable|connection.*(closed|timeout)|timeout exceeded when trying to connect|the database system is (starting up|shutting down|in recovery mode)|terminating connection/i.test(
      text,
    )
  );
}
