// Store-to-us HTTP endpoints: /webhooks/<store key>/<storeAccountId>, one per store module
// with a callback; the account id in the path selects credentials.
import type { Logger } from '../platform/logger.js';
import type { StoreCatalog } from '../providers/catalog.js';
import type { Services } from '../services/index.js';
import { json } from './json.js';
import { readBodyWithLimit } from '../platform/body-limit.js';

/**
 * The largest store callback body accepted (the biggest any store sends — a Huawei
 * notification with its signed JWS — is a few KB). Checked against Content-Length before
 * reading and counted while reading; stores may set a tighter limit of their own.
 */
export const MAX_CALLBACK_BODY_BYTES = 64 * 1024;

export interface WebhookContext {
  services: Services;
  logger: Logger;
  requestId: string;
}

export async function routeWebhook(catalog: StoreCatalog, request: Request, path: string, ctx: WebhookContext): Promise<Response> {
  const match = /^\/webhooks\/([a-z0-9]+)\/([^/]+)\/?$/.exec(path);
  const module = match ? catalog.byKey(match[1]!) : undefined;
  if (!match || !module?.callback) return json({ error: 'unknown webhook' }, 404);
  let storeAccountId: string;
  try {
    storeAccountId = decodeURIComponent(match[2]!);
  } catch {
    return json({ error: 'malformed percent-escape in the URL' }, 400);
  }
  const bytes = await readBodyWithLimit(request, MAX_CALLBACK_BODY_BYTES);
  if (bytes === 'too-large') return json({ error: `body larger than ${MAX_CALLBACK_BODY_BYTES} bytes` }, 413);
  // The store's handler reads this copy: the bytes are already here, and no more than the limit.
  const bounded = new Request(request.url, {
    method: request.method,
    headers: request.headers,
    ...(['GET', 'HEAD'].includes(request.method) ? {} : { body: bytes }),
    signal: request.signal,
  });
  const flows = ctx.services.stores.flowsOf(module);
  return module.callback(bounded, storeAccountId, { ...ctx, flows });
}
