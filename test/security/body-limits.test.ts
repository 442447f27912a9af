// Body limits before reading (issue 13 item 4): store callbacks (/webhooks/...) check
// Content-Length before reading and count bytes while streaming, as /graphql does. A
// 200 MB upload is refused without the process holding it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { listen } from '../live/helpers.js';
import { MAX_CALLBACK_BODY_BYTES } from '../../src/http/webhooks.js';

const STORES = ['huawei', 'nowgg', 'huya'] as const;
const MB = 1024 * 1024;

let t: TestApp;
let server: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  t = await createTestApp();
  server = await listen(t.app);
});
afterAll(async () => {
  await server.close();
  await t.close();
});

/**
 * POSTs up to `totalBytes` in 64 KiB chunks (chunked, or with a declared length) and
 * stops sending once the server answers. Returns the status and how much was sent.
 */
function upload(path: string, totalBytes: number, declareLength: boolean): Promise<{ status: number; sentBytes: number }> {
  const url = new URL(path, server.url);
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const req = httpRequest(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(declareLength ? { 'content-length': String(totalBytes) } : {}) },
    });
    req.on('response', (res) => {
      answered = true;
      res.resume();
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, sentBytes: sent });
      });
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('store callback bodies', () => {
  it.each(STORES)('%s: a declared length over the limit is refused before a byte is read', async (store) => {
    const res = await t.app.fetch(
      new Request(`http://zerodrop.test/webhooks/${store}/${randomUUID()}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(200 * MB) },
        // A body that would fail the test if anyone read it.
        body: new ReadableStream({
          pull() {
            throw new Error('the body was read');
          },
        }),
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(413);
  });

  it.each(STORES)('%s: a chunked body is cut off at the limit while streaming', async (store) => {
    const { status } = await upload(`/webhooks/${store}/${randomUUID()}`, MAX_CALLBACK_BODY_BYTES + 64 * 1024, false);
    expect(status).toBe(413);
  });

  it('a 200 MB streamed upload is refused without raising the process memory by more than a few MB', async () => {
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakHeap = before.heapUsed + before.arrayBuffers;
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peakRss = Math.max(peakRss, now.rss);
      peakHeap = Math.max(peakHeap, now.heapUsed + now.arrayBuffers);
    }, 5);
    try {
      const { status, sentBytes } = await upload(`/webhooks/nowgg/${randomUUID()}`, 200 * MB, false);
      expect(status).toBe(413);
      // The answer came long before the upload could finish.
      expect(sentBytes).toBeLessThan(50 * MB);
    } finally {
      clearInterval(sampler);
    }
    expect((peakHeap - before.heapUsed - before.arrayBuffers) / MB).toBeLessThan(8);
    expect((peakRss - before.rss) / MB).toBeLessThan(16);
  });

  it('a body within the limit still reaches the store handler', async () => {
    // An unknown account: the handler ran (404 from the store's own handler, not 413).
    const res = await t.app.fetch(
      new Request(`http://zerodrop.test/webhooks/nowgg/${randomUUID()}`, { method: 'POST', body: JSON.stringify({ hello: 'x'.repeat(1000) }) }),
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ success: false });
  });
});
