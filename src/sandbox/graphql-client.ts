// The sandbox talks to a running ZeroDrop the way a developer's server does: POST /graphql
// with a server key in the Authorization header, nothing else.

export class SandboxApiError extends Error {}

export interface ZeroDropClient {
  readonly url: string;
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
}

export function zeroDropClient(url: string, serverKey: string): ZeroDropClient {
  const base = url.replace(/\/+$/, '');
  return {
    url: base,
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${serverKey}` },
          body: JSON.stringify({ query, variables }),
        });
      } catch (err) {
        throw new SandboxApiError(`cannot reach ZeroDrop at ${base} (${err instanceof Error ? err.message : String(err)}); is it running (npm start)?`);
      }
      const body = (await response.json().catch(() => ({}))) as { data?: T; errors?: { message: string }[] };
      if (!response.ok || body.errors?.length || !body.data) {
        throw new SandboxApiError(`ZeroDrop answered HTTP ${response.status}: ${body.errors?.[0]?.message ?? 'no data'}`);
      }
      return body.data;
    },
  };
}

/** Union results: the payload, or a typed error turned into an exception. */
export function payload<T extends { __typename: string }>(result: T, expected: string): T {
  if (result.__typename !== expected) {
    const error = result as unknown as { code?: string; message?: string };
    throw new SandboxApiError(`${result.__typename}${error.code ? ` ${error.code}` : ''}: ${error.message ?? 'refused'}`);
  }
  return result;
}
