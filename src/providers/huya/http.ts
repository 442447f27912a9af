// Huya payment callbacks: GET or POST /webhooks/huya/<storeAccountId> (seed 003 §6). The
// HTTP 200 is Huya's acknowledgement, so it is sent only once the order is committed; a
// replayed orderId answers 200 again and changes nothing. Refusals are 4xx, nothing written.
import { AppError, ConflictError, PurchaseVerificationError, StoreAccountError } from '../../platform/errors.js';
import type { HuyaCallbackRequest } from './protocol/index.js';
import { HuyaCallbackAccountError, type HuyaService } from './flows.js';
import { json } from '../../http/json.js';
import type { CallbackContext } from '../contract.js';

const MAX_BODY_BYTES = 16 * 1024;

/** The HTTP status that tells Huya (and whoever reads our logs) why a callback was refused. */
function refusalStatus(err: AppError): number {
  if (err instanceof HuyaCallbackAccountError) return 404;
  if (err instanceof ConflictError) return 409;
  if (err instanceof PurchaseVerificationError) {
    switch (err.code) {
      case 'BAD_SIGNATURE':
      case 'STALE_TIMESTAMP':
        return 401;
      case 'MALFORMED_PURCHASE':
        return 400;
      default:
        return 422; // WRONG_APPLICATION, WRONG_PRODUCT: not this account's mini-program or goods
    }
  }
  // The account lacks its settings or secret (our configuration), or the database is
  // down: ask Huya to retry later.
  if (err instanceof StoreAccountError || err.retryable) return 503;
  return 400;
}

async function readCallback(request: Request): Promise<HuyaCallbackRequest | Response> {
  const authorization = request.headers.get('authorization');
  if (request.method === 'GET') return { method: 'GET', query: new URL(request.url).searchParams, authorization };
  if (request.method !== 'POST') return json({ error: 'GET or POST only' }, 405, { allow: 'GET, POST' });
  const rawBody = await request.text();
  if (Buffer.byteLength(rawBody) > MAX_BODY_BYTES) return json({ error: 'body too large' }, 413);
  return { method: 'POST', rawBody, authorization };
}

export async function huyaCallback(
  request: Request,
  storeAccountId: string,
  { flows, logger, requestId }: CallbackContext<HuyaService>,
): Promise<Response> {
  const callback = await readCallback(request);
  if (callback instanceof Response) return callback;
  try {
    const account = await flows.callbackAccount(storeAccountId);
    const { order, newlyDelivered } = await flows.recordCallback(account, callback);
    if (order.status === 'AWAITING_PRODUCT') {
      // Paid and kept: delivered as soon as the product (or its level) exists.
      logger.warn(
        { requestId, storeAccountId, orderId: order.id, goodsUuid: order.storeProductId },
        'huya callback recorded for goods or a level without a product; the order waits',
      );
    } else {
      logger.info({ requestId, storeAccountId, orderId: order.id, newlyDelivered }, 'huya callback');
    }
    return json({ success: true, orderId: order.storeOrderId, status: order.status });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const status = refusalStatus(err);
    logger.warn({ requestId, storeAccountId, code: err.code, status, err: err.message }, 'huya callback refused');
    return json({ success: false, code: err.code, message: err.message }, status);
  }
}
