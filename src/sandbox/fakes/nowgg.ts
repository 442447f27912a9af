// A real local now.gg Payments API: form-encoded POSTs, raw-key Authorization, the
// HTTP-200 {success, code, codeMsg, data} envelope, a purchase registry and failure
// injection. Codes are written out here (not imported from src) so the fake checks our
// client against the protocol rather than against itself. Used by the tests and by
// `zerodrop sandbox` (which registers only test orders).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const SUCCESS = 0;
const ERROR_CONSUMING_PRODUCT = 3800;
const INVALID_AUTHORIZATION_KEY = 3900;
const INVALID_PURCHASE_TOKEN = 3901;
const NO_VALID_SUBSCRIPTION_FOUND = 5001;
const INVALID_SUBSCRIPTION_OPERATION = 5002;
const SUBSCRIPTION_INACTIVE = 5004;
const MULTISTORE_UNKNOWN_ERROR = 5014;
/** What now.gg's gateway answers (with HTTP 200) for a path it does not route. */
const INTERFACE_NOT_EXIST = 150;

export const fakeNowggCodeMessages: Readonly<Record<number, string>> = {
  [SUCCESS]: 'success',
  [ERROR_CONSUMING_PRODUCT]: 'ERROR_CONSUMING_PRODUCT',
  [INVALID_AUTHORIZATION_KEY]: 'INVALID_AUTHORIZATION_KEY',
  [INVALID_PURCHASE_TOKEN]: 'INVALID_PURCHASE_TOKEN',
  [NO_VALID_SUBSCRIPTION_FOUND]: 'NO_VALID_SUBSCRIPTION_FOUND',
  [INVALID_SUBSCRIPTION_OPERATION]: 'INVALID_SUBSCRIPTION_OPERATION',
  [SUBSCRIPTION_INACTIVE]: 'SUBSCRIPTION_INACTIVE',
  5006: 'ACTIVE_SUBSCRIPTION_ALREADY_EXISTS',
  [MULTISTORE_UNKNOWN_ERROR]: 'MULTISTORE_UNKNOWN_ERROR',
  5015: 'MULTISTORE_AUTH_ERROR',
  [INTERFACE_NOT_EXIST]: 'interface not exist',
};

export type FakeNowggStoreType = 'nowgg' | 'xiaomi' | 'onestore' | 'amazon' | 'huawei';

export interface FakeNowggPurchaseInput {
  productId: string;
  /** Major units as now.gg sends them, e.g. "25.15". */
  amount?: string;
  currency?: string;
  type?: FakeNowggStoreType;
  isTestOrder?: boolean;
  subscription?: boolean;
  /** 0 purchased, 1 cancelled, 2 pending. */
  purchaseState?: number;
  orderId?: string;
  appId?: string;
  packageName?: string;
  developerPayload?: string;
  purchaseTime?: Date;
  expiryTime?: Date;
  /** Every call about this purchase fails with this code (e.g. 5014, 5015). */
  failWithCode?: number;
  /**
   * verifyPurchase answers exactly this `data` (a shape from the store's documentation)
   * instead of building one from the fields above; orderId is the purchase's own.
   */
  verifyData?: Record<string, unknown>;
}

export interface FakeNowggPurchase {
  readonly purchaseToken: string;
  readonly orderId: string;
  readonly input: FakeNowggPurchaseInput;
  consumptionState: 0 | 1;
  acknowledgementState: 0 | 1;
  /** Successful server-side consumes of this token. */
  consumeCount: number;
  /** Successful acknowledgements of this token. */
  acknowledgeCount: number;
}

export type FakeNowggFailure =
  | { kind: 'http-error'; status?: number }
  | { kind: 'hang' }
  | { kind: 'reset' }
  /** The store does the work, then the connection drops before the answer: a lost reply. */
  | { kind: 'drop-answer' }
  | { kind: 'not-json' }
  | { kind: 'code'; code: number; codeMsg?: string }
  /** Answers HTTP 200 with this JSON body, whatever its shape (e.g. the old v1 error envelope). */
  | { kind: 'body'; body: unknown };

export interface FakeNowggRequest {
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

type Envelope = { success: boolean; code: number; codeMsg: string; data: Record<string, unknown> };

export class FakeNowgg {
  /** Change it to simulate a rotated key on now.gg's side. */
  paymentsApiKey: string;
  /**
   * Spellings of the seller path served ("v2/seller/", "v2/sellers/"). The store's own
   * documentation shows both; a test narrows this to the one its account must use.
   */
  sellerPrefixes: string[] = ['v2/seller/', 'v2/sellers/'];
  /** Every request received, in order, including failed and injected ones. */
  readonly requests: FakeNowggRequest[] = [];
  readonly #server: Server;
  readonly #purchases = new Map<string, FakeNowggPurchase>();
  readonly #failures: FakeNowggFailure[] = [];
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, paymentsApiKey: string) {
    this.#server = server;
    this.paymentsApiKey = paymentsApiKey;
  }

  static async start(options: { paymentsApiKey?: string } = {}): Promise<FakeNowgg> {
    const server = createServer();
    // Node's default 5 s keep-alive lets the fake close an idle socket just as our client
    // reuses it (timers run late while PGlite holds the event loop), failing a request
    // with "fetch failed". now.gg's servers keep connections far longer.
    server.keepAliveTimeout = 65_000;
    const fake = new FakeNowgg(server, options.paymentsApiKey ?? `pk_${randomBytes(12).toString('hex')}`);
    server.on('connection', (socket) => {
      fake.#sockets.add(socket);
      socket.on('close', () => fake.#sockets.delete(socket));
    });
    server.on('request', (request, response) => {
      fake.#handle(request, response).catch((error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Base URL with a trailing slash, for StoreAccountConfig.apiBaseUrl. */
  get baseUrl(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/`;
  }

  /** Registers a paid purchase and returns its purchase token. */
  addPurchase(input: FakeNowggPurchaseInput): string {
    const purchaseToken = `-nowgg-${randomUUID()}`;
    this.#purchases.set(purchaseToken, {
      purchaseToken,
      orderId: input.orderId ?? `1-${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      input,
      consumptionState: 0,
      acknowledgementState: 0,
      consumeCount: 0,
      acknowledgeCount: 0,
    });
    return purchaseToken;
  }

  purchase(purchaseToken: string): FakeNowggPurchase {
    const purchase = this.#purchases.get(purchaseToken);
    if (!purchase) throw new Error(`fake now.gg has no purchase ${purchaseToken}`);
    return purchase;
  }

  /** The next `count` requests fail this way, then the fake answers normally again. */
  failNext(count: number, failure: FakeNowggFailure): void {
    for (let i = 0; i < count; i += 1) this.#failures.push(failure);
  }

  /** POSTs a webhook the way now.gg does: JSON body, raw Webhook API Key (if any) as Authorization. */
  async sendWebhook(url: string, body: unknown, webhookApiKey: string | null): Promise<Response> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (webhookApiKey !== null) headers.Authorization = webhookApiKey;
    return fetch(url, {
      method: 'POST',
      headers,
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async close(): Promise<void> {
    // Hung requests never finish on their own; end their sockets so close() resolves.
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const form = Object.fromEntries(new URLSearchParams(body));
    const path = new URL(request.url ?? '/', 'http://fake').pathname;
    this.requests.push({
      path,
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      form,
    });

    const failure = this.#failures.shift();
    if (failure) {
      switch (failure.kind) {
        case 'drop-answer':
          this.#route(request, path, form);
          request.socket.destroy();
          return;
        case 'http-error':
          response.writeHead(failure.status ?? 503, { 'Content-Type': 'text/html' });
          response.end('<html><body>Service Temporarily Unavailable</body></html>');
          return;
        case 'hang':
          return; // no answer; close() cuts the socket
        case 'reset':
          request.socket.destroy();
          return;
        case 'not-json':
          response.writeHead(200, { 'Content-Type': 'text/html' });
          response.end('<html>maintenance</html>');
          return;
        case 'code':
          send(response, envelope(failure.code, {}, failure.codeMsg));
          return;
        case 'body':
          response.writeHead(200, { 'Content-Type': 'application/json' });
          response.end(JSON.stringify(failure.body));
          return;
      }
    }
    send(response, this.#route(request, path, form));
  }

  #route(request: IncomingMessage, path: string, form: Record<string, string>): Envelope {
    if (request.method !== 'POST' || !request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
      return envelope(INTERFACE_NOT_EXIST);
    }
    if (request.headers.authorization !== this.paymentsApiKey) return envelope(INVALID_AUTHORIZATION_KEY);
    // now.gg's own samples spell both v2/seller/… and v2/sellers/…; both are served unless narrowed.
    const sellerPrefix = /^\/(v2\/sellers?\/)/.exec(path)?.[1];
    if (sellerPrefix && !this.sellerPrefixes.includes(sellerPrefix)) return envelope(INTERFACE_NOT_EXIST);
    switch (path.replace(/^\/v2\/sellers\//, '/v2/seller/')) {
      case '/v2/seller/order/verifyPurchase':
        return this.#verify(form);
      case '/v2/order/consumePurchase':
        return this.#consume(form);
      case '/v2/seller/order/acknowledgepurchase':
        return this.#acknowledge(form);
      default:
        return envelope(INTERFACE_NOT_EXIST);
    }
  }

  // A token is found only when the request names the store it was bought in (type
  // defaults to nowgg), as multistore tokens belong to the partner store.
  #find(form: Record<string, string>): FakeNowggPurchase | Envelope {
    const purchase = form.purchaseToken ? this.#purchases.get(form.purchaseToken) : undefined;
    const requestedType = form.type ?? 'nowgg';
    if (!purchase || (purchase.input.type ?? 'nowgg') !== requestedType) return envelope(INVALID_PURCHASE_TOKEN);
    if (purchase.input.failWithCode !== undefined) return envelope(purchase.input.failWithCode);
    if (requestedType !== 'nowgg' && form.productId !== purchase.input.productId) return envelope(MULTISTORE_UNKNOWN_ERROR);
    return purchase;
  }

  #verify(form: Record<string, string>): Envelope {
    const found = this.#find(form);
    if (!isPurchase(found)) return found;
    const { input } = found;
    if (input.verifyData) {
      const data: Record<string, unknown> = { ...input.verifyData, orderId: found.orderId };
      if ('consumptionState' in input.verifyData) data.consumptionState = found.consumptionState;
      return envelope(SUCCESS, data);
    }
    const purchaseTime = String((input.purchaseTime ?? new Date()).getTime());
    const data: Record<string, unknown> = {
      appId: input.appId ?? '11001',
      consumptionState: found.consumptionState,
      currency: input.currency ?? 'USD',
      developerPayload: input.developerPayload ?? '',
      isTestOrder: input.isTestOrder ?? false,
      kind: input.subscription ? 'nowgg#subscriptionPurchase' : 'nowgg#productPurchase',
      orderAmount: input.amount ?? '0.99',
      orderId: found.orderId,
      packageName: input.packageName ?? 'gg.now.sample.app',
      productId: input.productId,
      purchaseState: input.purchaseState ?? 0,
      purchaseTime,
      purchaseTimeMillis: purchaseTime,
      regionCode: 'US',
    };
    if (input.subscription) {
      data.acknowledgementState = found.acknowledgementState;
      data.expiryTime = String((input.expiryTime ?? new Date(Date.now() + 30 * 86_400_000)).getTime());
    }
    return envelope(SUCCESS, data);
  }

  // Consuming an already consumed token fails with ERROR_CONSUMING_PRODUCT: now.gg documents
  // no "already consumed" code, and 3800 is the only consume failure it lists.
  #consume(form: Record<string, string>): Envelope {
    const found = this.#find(form);
    if (!isPurchase(found)) return found;
    const type = found.input.type ?? 'nowgg';
    if (type === 'amazon' || type === 'huawei') return envelope(MULTISTORE_UNKNOWN_ERROR);
    if (found.input.subscription || found.consumptionState === 1 || (found.input.purchaseState ?? 0) !== 0) {
      return envelope(ERROR_CONSUMING_PRODUCT);
    }
    found.consumptionState = 1;
    found.consumeCount += 1;
    return envelope(SUCCESS);
  }

  // A second acknowledgement fails with INVALID_SUBSCRIPTION_OPERATION (not documented by
  // now.gg either; verifyPurchase still reports acknowledgementState 1).
  #acknowledge(form: Record<string, string>): Envelope {
    const found = this.#find(form);
    if (!isPurchase(found)) return found;
    if (!found.input.subscription) return envelope(NO_VALID_SUBSCRIPTION_FOUND);
    if ((found.input.purchaseState ?? 0) !== 0) return envelope(SUBSCRIPTION_INACTIVE);
    if (found.acknowledgementState === 1) return envelope(INVALID_SUBSCRIPTION_OPERATION);
    found.acknowledgementState = 1;
    found.acknowledgeCount += 1;
    return envelope(SUCCESS);
  }
}

function isPurchase(found: FakeNowggPurchase | Envelope): found is FakeNowggPurchase {
  return 'purchaseToken' in found;
}

function envelope(code: number, data: Record<string, unknown> = {}, codeMsg?: string): Envelope {
  return { success: code === SUCCESS, code, codeMsg: codeMsg ?? fakeNowggCodeMessages[code] ?? 'error', data };
}

function send(response: ServerResponse, body: Envelope): void {
  // now.gg answers 200 whatever the outcome.
  response.writeHead(200, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
