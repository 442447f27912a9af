// A fault-injecting HTTP proxy in front of a fake store: store accounts point at it, so
// an outage can be switched on and off for a while without touching the fake itself.
// In an outage each request gets a 5xx, hangs until the caller gives up, or has its
// connection reset; when healthy, a share of answers can still be lost on the way back
// (the store did the work, the caller never hears it).
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type ProxyMode =
  | { kind: 'healthy'; lostAnswerRate: number }
  | { kind: 'outage' };

export type ProxyFault = 'http-503' | 'hang' | 'reset' | 'lost-answer';

/** The longest a hung request is held before its connection is cut. */
const MAX_HANG_MS = 15_000;

export class FaultProxy {
  forwarded = 0;
  readonly faults: Record<ProxyFault, number> = { 'http-503': 0, hang: 0, reset: 0, 'lost-answer': 0 };
  #mode: ProxyMode = { kind: 'healthy', lostAnswerRate: 0 };
  readonly #server: Server;
  readonly #target: URL;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, target: string) {
    this.#server = server;
    this.#target = new URL(target);
  }

  static async start(target: string): Promise<FaultProxy> {
    const server = createServer();
    const proxy = new FaultProxy(server, target);
    server.on('connection', (socket) => {
      proxy.#sockets.add(socket);
      socket.on('close', () => proxy.#sockets.delete(socket));
    });
    server.on('request', (request, response) => void proxy.#handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The proxy's base URL, with the target's path (now.gg's base ends in "/"). */
  get baseUrl(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}${this.#target.pathname === '/' ? '' : this.#target.pathname}`;
  }

  setMode(mode: ProxyMode): void {
    this.#mode = mode;
  }

  get faultCount(): number {
    return Object.values(this.faults).reduce((sum, n) => sum + n, 0);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const mode = this.#mode;
    if (mode.kind === 'outage') {
      const roll = Math.random();
      if (roll < 0.5) {
        this.faults['http-503'] += 1;
        response.writeHead(503, { 'content-type': 'text/html' }).end('<html>503 Service Temporarily Unavailable</html>');
      } else if (roll < 0.8) {
        this.faults.reset += 1;
        request.socket.destroy();
      } else {
        this.faults.hang += 1;
        const timer = setTimeout(() => request.socket.destroy(), MAX_HANG_MS);
        request.socket.once('close', () => clearTimeout(timer));
      }
      return;
    }
    const loseAnswer = Math.random() < mode.lostAnswerRate;
    try {
      const answer = await this.#forward(request, body);
      if (loseAnswer) {
        this.faults['lost-answer'] += 1;
        request.socket.destroy();
        return;
      }
      this.forwarded += 1;
      response.writeHead(answer.status, answer.headers).end(answer.body);
    } catch {
      response.writeHead(502).end('proxy: store unreachable');
    }
  }

  #forward(request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (typeof value === 'string' && name !== 'host' && name !== 'connection') headers[name] = value;
      }
      const upstream = httpRequest(
        { host: this.#target.hostname, port: this.#target.port, method: request.method, path: request.url, headers },
        (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (part: Buffer) => parts.push(part));
          answer.on('end', () => {
            const answerHeaders: Record<string, string> = {};
            const contentType = answer.headers['content-type'];
            if (contentType) answerHeaders['content-type'] = contentType;
            resolve({ status: answer.statusCode ?? 502, headers: answerHeaders, body: Buffer.concat(parts) });
          });
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }
}
