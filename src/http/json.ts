export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  });
}

/** A GraphQL-shaped error answer for requests refused before GraphQL runs. */
export function graphqlErrorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): Response {
  return json({ errors: [{ message, extensions: { code } }] }, status, headers);
}
