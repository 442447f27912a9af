// Huawei notifications v3: POST /webhooks/huawei/<storeAccountId>. 200 only once the
// work is durable; Huawei retries anything else, and duplicates are ignored by id.
import { PurchaseVerificationError, StoreAccountError, StoreRejectedError, StoreUnavailableError } from '../../platform/errors.js';
import { NotificationAccountError, type HuaweiService } from './flows.js';
import { json } from '../../http/json.js';
import type { CallbackContext } from '../contract.js';

const MAX_BODY_BYTES = 64 * 1024;

export async function huaweiCallback(
  request: Request,
  storeAccountId: string,
  { flows, logger, requestId }: CallbackContext<HuaweiService>,
): Promise<Response> {
  if (request.method !== 'POST') return json({ error: 'POST only' }, 405, { allow: 'POST' });
  const body = await request.text();
  if (Buffer.byteLength(body) > MAX_BODY_BYTES) return json({ error: 'body too large' }, 413);
  try {
    const outcome = await flows.handleNotification(storeAccountId, body);
    logger.info({ requestId, storeAccountId, outcome }, 'huawei notification');
    return json({ ok: true, outcome });
  } catch (err) {
    if (err instanceof NotificationAccountError) return json({ error: err.message }, 404);
    if (err instanceof PurchaseVerificationError || err instanceof StoreAccountError) {
      logger.warn({ requestId, storeAccountId, code: err.code, err: err.message }, 'huawei notification refused');
      return json({ error: err.message, code: err.code }, 400);
    }
    if (err instanceof StoreUnavailableError || err instanceof StoreRejectedError) {
      // Could not read the order's state from Huawei: ask Huawei to retry later.
      logger.warn({ requestId, storeAccountId, err: err.message }, 'huawei notification deferred');
      return json({ error: err.message, code: err.code }, 503, { 'retry-after': '60' });
    }
    throw err;
  }
}
