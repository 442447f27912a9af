// A small HTTP/GraphQL client for the chaos harness, which talks to real server
// processes. Every outcome is classified, so the scenarios can tell a retryable failure
// (the server died, the database is down) from one that would strand a client.

/** Why one request did not succeed. */
export type Failure =
  /** No HTTP answer: connection refused or reset, or no answer within the timeout. */
  | { kind: 'network'; retryable: true; code: string; message: string }
  /** An HTTP error status before or instead of a GraphQL result. */
  | { kind: 'http'; retryable: boolean; status: number; code: string | null; message: string }
  /** A top-level GraphQL error (masked or typed through extensions). */
  | { kind: 'graphql'; retryable: boolean; code: string | null; message: string }
  /** A typed error member of a mutation's result union. */
  | { kind: 'typed'; retryable: boolean; code: string; message: string };

export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: Failure };

/** Generous: a 1,000-way race queues requests on the database pool for a while. */
export const REQUEST_TIMEOUT_MS = 60_000;

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message?: string; extensions?: { code?: unknown; retryable?: unknown } }[];
}

/** The short label used in counts: "network:ECONNREFUSED", "http:503:SERVICE_UNAVAILABLE", "typed:STORE_UNAVAILABLE". */
export function failureLabel(failure: Failure): string {
  switch (failure.kind) {
    case 'network':
      return `network:${failure.code}`;
    case 'http':
      return `http:${failure.status}${failure.code ? `:${failure.code}` : ''}`;
    case 'graphql':
      return `graphql:${failure.code ?? 'uncoded'}`;
    case 'typed':
      return `typed:${failure.code}`;
  }
}

function networkFailure(error: unknown): Failure {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code =
    (cause as { code?: unknown } | null)?.code ?? (error instanceof Error && error.name === 'TimeoutError' ? 'TIMEOUT' : 'FETCH_FAILED');
  return { kind: 'network', retryable: true, code: String(code), message: cause instanceof Error ? cause.message : String(cause) };
}

/** Statuses a well-behaved client retries: overload, rate limit, and every 5xx. */
const retryableStatus = (status: number) => status === 429 || status >= 500;

/** Sends one HTTP request; the response body is read fully (or the failure classified). */
export async function send(url: string, init: RequestInit): Promise<Outcome<{ status: number; text: string }>> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { ok: true, value: { status: response.status, text: await response.text() } };
  } catch (error) {
    return { ok: false, failure: networkFailure(error) };
  }
}

/**
 * POSTs a GraphQL operation and returns `data[field]` when it is a success member
 * (its __typename is one of `successTypes`), else the classified failure.
 */
export async function mutate<T>(
  baseUrl: string,
  key: string,
  query: string,
  variables: Record<string, unknown>,
  field: string,
  successTypes: readonly string[],
): Promise<Outcome<T>> {
  const sent = await send(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  if (!sent.ok) return sent;
  const { status, text } = sent.value;
  let body: GraphqlBody;
  try {
    body = JSON.parse(text) as GraphqlBody;
  } catch {
    return { ok: false, failure: { kind: 'http', retryable: retryableStatus(status), status, code: null, message: text.slice(0, 200) } };
  }
  const firstError = body.errors?.[0];
  if (status !== 200) {
    const code = typeof firstError?.extensions?.code === 'string' ? firstError.extensions.code : null;
    return { ok: false, failure: { kind: 'http', retryable: retryableStatus(status), status, code, message: firstError?.message ?? text.slice(0, 200) } };
  }
  const result = body.data?.[field] as ({ __typename?: string; code?: string; message?: string; retryable?: boolean } & T) | null | undefined;
  if (firstError || !result) {
    const code = typeof firstError?.extensions?.code === 'string' ? firstError.extensions.code : null;
    return {
      ok: false,
      failure: { kind: 'graphql', retryable: firstError?.extensions?.retryable === true, code, message: firstError?.message ?? 'no data' },
    };
  }
  if (result.__typename && successTypes.includes(result.__typename)) return { ok: true, value: result };
  return {
    ok: false,
    failure: {
      kind: 'typed',
      retryable: result.retryable === true,
      code: result.code ?? result.__typename ?? 'UNKNOWN',
      message: result.message ?? JSON.stringify(result),
    },
  };
}

/** Like `mutate`, but any failure is fatal: for set-up steps that must work the first time. */
export async function mutateOrThrow<T>(
  baseUrl: string,
  key: string,
  query: string,
  variables: Record<string, unknown>,
  field: string,
  successTypes: readonly string[],
): Promise<T> {
  const outcome = await mutate<T>(baseUrl, key, query, variables, field, successTypes);
  if (!outcome.ok) throw new Error(`${field} failed: ${failureLabel(outcome.failure)}: ${outcome.failure.message}`);
  return outcome.value;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
