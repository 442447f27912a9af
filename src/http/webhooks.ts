// Store-to-us HTTP endpoints: /webhooks/<store key>/<storeAccountId>, one per store module
// with a callback; the account id in the path selects credentials.
import type { Logger } from '../platform/logger.js';
import type { StoreCatalog } from '../providers/catalog.js';
import type { Services } from '../services/index.js';
import { json } from './json.js';

export interface WebhookContext {
  services: Services;
  logger: Logger;
  requestId: string;
}

export async function routeWebhook(catalog: StoreCatalog, request: Request, path: string, ctx: WebhookContext): Promise<Response> {
  const match = /^\/webhooks\/([a-z0-9]+)\/([^/]+)\/?$/.exec(path);
  const module = match ? catalog.byKey(match[1]!) : undefined;
  if (!match || !module?.callback) return json({ error: 'unknown webhook' }, 404);
  const flows = ctx.services.stores.flowsOf(module);
  return module.callback(request, decodeURIComponent(match[2]!), { ...ctx, flows });
}
