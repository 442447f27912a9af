// Checks on a GraphQL request body before Yoga reads it. Yoga decodes bodies leniently:
// invalid UTF-8 becomes U+FFFD, so a player id or token with a stray byte would silently
// turn into a different string; and it sets no size limit. Both are refused here.
import { readBodyWithLimit } from '../platform/body-limit.js';
import { graphqlErrorResponse } from './json.js';

/** Far above any legitimate request (a 100-purchase syncPurchases is about 400 KB). */
export const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request to hand to Yoga (same method, headers and bytes), or the refusal: 413 for
 * a body over MAX_GRAPHQL_BODY_BYTES, 400 for one that is not valid UTF-8. `RequestCtor`
 * is Yoga's fetch API: Node's own Request ties each instance to a native AbortSignal and a
 * web stream, which cost more CPU than the rest of a `{ __typename }` request.
 */
export async function checkGraphqlBody(request: Request, RequestCtor: typeof Request): Promise<Request | Response> {
  if (!request.body) return request;
  const tooLarge = () =>
    graphqlErrorResponse(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_GRAPHQL_BODY_BYTES} bytes`);
  const bytes = await readBodyWithLimit(request, MAX_GRAPHQL_BODY_BYTES);
  if (bytes === 'too-large') return tooLarge();
  try {
    strictUtf8.decode(bytes);
  } catch {
    return graphqlErrorResponse(400, 'BAD_REQUEST', 'The request body is not valid UTF-8');
  }
  return new RequestCtor(request.url, { method: request.method, headers: request.headers, body: bytes, signal: request.signal });
}
