// Store-to-us HTTP endpoints: /webhooks/<store>/<storeAccountId>. Each store module
// registers its handler; the account id in the path selects credentials.
import type { Logger } from '../platform/logger.js';
import type { Services } from '../services/index.js';
import { json } from './json.js';

export interface WebhookContext {
  services: Services;
  logger: Logger;
  requestId: string;
}

export type WebhookHandler = (request: Request, storeAccountId: string, ctx: WebhookContext) => Promise<Response>;

const handlers = new Map<string, WebhookHandler>();

export function registerWebhook(store: string, handler: WebhookHandler): void {
  handlers.set(store, handler);
}

export async function routeWebhook(request: Request, path: string, ctx: WebhookContext): Promise<Response> {
  const match = /^\/webhooks\/([a-z]+)\/([^/]+)\/?$/.exec(path);
  const handler = match ? handlers.get(match[1]!) : undefined;
  if (!match || !handler) return json({ error: 'unknown webhook' }, 404);
  return handler(request, decodeURIComponent(match[2]!), ctx);
}
