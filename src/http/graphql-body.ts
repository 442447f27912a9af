// Checks on a GraphQL request body before Yoga reads it. Yoga decodes bodies leniently:
// invalid UTF-8 becomes U+FFFD, so a player id or token with a stray byte would silently
// turn into a different string; and it sets no size limit. Both are refused here.
import { graphqlErrorResponse } from './json.js';

/** Far above any legitimate request (a 100-purchase syncPurchases is about 400 KB). */
export const MAX_GRAPHQL_BODY_BYTES = 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request to hand to Yoga (same method, headers and bytes), or the refusal: 413 for
 * a body over MAX_GRAPHQL_BODY_BYTES, 400 for one that is not valid UTF-8.
 */
export async function checkGraphqlBody(request: Request): Promise<Request | Response> {
  if (!request.body) return request;
  const tooLarge = () =>
    graphqlErrorResponse(413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${MAX_GRAPHQL_BODY_BYTES} bytes`);
  if (Number(request.headers.get('content-length') ?? 0) > MAX_GRAPHQL_BODY_BYTES) return tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_GRAPHQL_BODY_BYTES) {
      await reader.cancel();
      return tooLarge();
    }
    chunks.push(value);
  }
  const bytes = Buffer.concat(chunks);
  try {
    strictUtf8.decode(bytes);
  } catch {
    return graphqlErrorResponse(400, 'BAD_REQUEST', 'The request body is not valid UTF-8');
  }
  return new Request(request.url, { method: request.method, headers: request.headers, body: bytes, signal: request.signal });
}
