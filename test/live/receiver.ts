// A webhook receiver for tests: a real HTTP server that records what it gets, checks
// signatures the way the Standard Webhooks spec describes (written here independently
// of src/), and can answer errors or go away and come back on the same port.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';

export interface ReceivedWebhook {
  id: string;
  timestamp: number;
  signature: string;
  body: string;
  json: { id: string; type: string; appId: string; playerId: string | null; data: unknown; order: Record<string, unknown> | null };
  headers: IncomingHttpHeaders;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** What to answer next: an HTTP status and body. */
  answer: { status: number; body: string } = { status: 204, body: '' };
  #server: Server | undefined;
  #port = 0;

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.up();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hooks/zerodrop`;
  }

  /** Starts listening (again, on the same port after down()). */
  async up(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.received.push({
          id: String(req.headers['webhook-id']),
          timestamp: Number(req.headers['webhook-timestamp']),
          signature: String(req.headers['webhook-signature']),
          body,
          json: JSON.parse(body) as ReceivedWebhook['json'],
          headers: req.headers,
        });
        res.writeHead(this.answer.status, { 'content-type': 'text/plain' }).end(this.answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening: connections are refused until up() is called again. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Standard Webhooks: base64 HMAC-SHA256 over "id.timestamp.body" with the decoded whsec_ key. */
export function expectedSignature(secret: string, webhook: Pick<ReceivedWebhook, 'id' | 'timestamp' | 'body'>): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return 'v1,' + createHmac('sha256', key).update(`${webhook.id}.${webhook.timestamp}.${webhook.body}`).digest('base64');
}
