// now.gg webhooks: POST /webhooks/nowgg/<storeAccountId>. now.gg retries anything but
// HTTP 200 {"success":true}, so that answer is given only once the work is durable, and
// every failure says why in now.gg's own failure shape {"success":false,"reason":…}.
import {
  AppError,
  ForbiddenError,
  PurchaseVerificationError,
  StoreAccountError,
  ValidationError,
} from '../../platform/errors.js';
import { NOWGG_WEBHOOK_SUCCESS_BODY } from './protocol/index.js';
import { NowggWebhookAccountError, type NowggService } from './flows.js';
import { json } from '../../http/json.js';
import type { CallbackContext } from '../contract.js';

const MAX_BODY_BYTES = 64 * 1024;

const failure = (status: number, reason: string, headers: Record<string, string> = {}) =>
  json({ success: false, reason }, status, headers);

export async function nowggCallback(
  request: Request,
  storeAccountId: string,
  { flows, logger, requestId }: CallbackContext<NowggService>,
): Promise<Response> {
  if (request.method !== 'POST') return failure(405, 'POST only', { allow: 'POST' });
  const body = await request.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) return failure(413, 'body too large');
  try {
    const outcome = await flows.handleWebhook(storeAccountId, {
      authorization: request.headers.get('authorization'),
      body,
    });
    logger.info({ requestId, storeAccountId, outcome }, 'now.gg webhook');
    return json(NOWGG_WEBHOOK_SUCCESS_BODY);
  } catch (err) {
    if (!(err instanceof AppError)) throw err; // app.ts answers 503 when the database is down, else 500: both retried
    logger.warn({ requestId, storeAccountId, code: err.code, err: err.message }, 'now.gg webhook refused');
    if (err instanceof NowggWebhookAccountError) return failure(404, err.message);
    // A wrong or missing key, or an account with no Webhook API Key to check against.
    if (err instanceof ForbiddenError || err instanceof StoreAccountError) return failure(401, err.message);
    if (err instanceof ValidationError || err instanceof PurchaseVerificationError) return failure(400, err.message);
    // Anything else typed (a conflicting concurrent write, the database refusing): not
    // durable, so ask now.gg to deliver it again.
    return failure(503, err.message, { 'retry-after': '30' });
  }
}
