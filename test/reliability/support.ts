// Shared by the reliability tests: raw requests against an in-process app (hostile
// input must be sent byte for byte, so no typed documents here), a whole-database
// snapshot for "nothing changed" checks, and the answer classifier.
import type { TestApp } from '../helpers/app.js';

export const BASE = 'http://zerodrop.test';

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export function raw(t: TestApp, request: RawRequest): Promise<Response> {
  // A copy: Request wants bytes backed by a plain ArrayBuffer.
  const body = request.body === undefined ? null : typeof request.body === 'string' ? request.body : new Uint8Array(request.body);
  return t.app.fetch(new Request(`${BASE}${request.path ?? '/graphql'}`, { method: request.method ?? 'POST', headers: request.headers ?? {}, body }));
}

export interface Caller {
  key?: string;
  playerToken?: string;
}

/** POSTs a GraphQL operation as JSON (the ordinary way; the operation itself may be hostile). */
export function gqlRaw(t: TestApp, query: string, variables: Record<string, unknown> = {}, caller: Caller = {}): Promise<Response> {
  return raw(t, {
    headers: {
      'content-type': 'application/json',
      ...(caller.key ? { authorization: `Bearer ${caller.key}` } : {}),
      ...(caller.playerToken ? { 'x-player-token': caller.playerToken } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
}

/** The answer, reduced to what a client acts on: the HTTP status and the error code, if any. */
export interface Answer {
  status: number;
  /** Typed union member's (or first sync item's) code, the first GraphQL error's extensions.code, or a webhook's code. */
  code: string | null;
  /** The union member's __typename (GraphQL results). */
  typename: string | null;
  body: unknown;
}

export async function answerOf(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  const record = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const errors = Array.isArray(record.errors) ? (record.errors as { extensions?: { code?: unknown } }[]) : [];
  const data = typeof record.data === 'object' && record.data !== null ? Object.values(record.data as Record<string, unknown>)[0] : null;
  const member = typeof data === 'object' && data !== null ? (data as { __typename?: unknown; code?: unknown; items?: unknown }) : null;
  // syncPurchases answers per item: the first item's error is the answer's.
  const itemError = Array.isArray(member?.items) ? (member.items as { error?: { code?: unknown } | null }[])[0]?.error : null;
  const code =
    typeof member?.code === 'string'
      ? member.code
      : typeof itemError?.code === 'string'
        ? itemError.code
      : typeof errors[0]?.extensions?.code === 'string'
        ? errors[0].extensions.code
        : typeof record.code === 'string'
          ? record.code
          : null;
  return { status: response.status, code, typename: typeof member?.__typename === 'string' ? member.__typename : null, body };
}

/**
 * A fingerprint of every row of every table the migrations created, in one statement:
 * a digest per table of its rows as JSON. ApiKey."lastUsedAt" is left out: authenticating
 * a request records it (fire-and-forget), which is not a change a refused request made.
 */
export async function snapshot(t: TestApp): Promise<string> {
  const prisma = t.app.db.prisma;
  const names = await prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND left(table_name, 1) <> '_'
     ORDER BY table_name`;
  const digests = names.map(
    ({ name }) =>
      `SELECT '${name}' AS "table", count(*)::int AS "rows", ` +
      `md5(coalesce(string_agg((to_jsonb(r) - 'lastUsedAt')::text, '|' ORDER BY (to_jsonb(r) - 'lastUsedAt')::text), '')) AS "digest" ` +
      `FROM "${name}" r`,
  );
  const rows = await prisma.$queryRawUnsafe<{ table: string; rows: number; digest: string }[]>(digests.join(' UNION ALL '));
  return rows.map((row) => `${row.table}:${row.rows}:${row.digest}`).join('\n');
}
