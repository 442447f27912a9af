// Logs for people and machines: readable lines on a terminal in development, JSON lines
// otherwise; one info line per delivered and revoked order and per store acknowledgement
// outcome, each naming the order, the store and the app.
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, processLogDestination, type Logger } from '../../src/platform/logger.js';

/** The logger main.ts would build for this environment and stdout. */
async function createProcessLogger(env: { LOG_LEVEL: string; LOG_FORMAT: 'auto' | 'json' | 'pretty'; NODE_ENV: string }, stdout: Writable & { isTTY: boolean }): Promise<Logger> {
  return createLogger(env.LOG_LEVEL, await processLogDestination(env, stdout));
}
import { createTestApp } from '../helpers/app.js';
import { buy, openShop } from '../live/helpers.js';

/** A stdout stand-in: what was written, and whether it claims to be a terminal. */
function capture(isTTY: boolean): Writable & { isTTY: boolean; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  }) as Writable & { isTTY: boolean; text(): string };
  stream.isTTY = isTTY;
  stream.text = () => chunks.join('');
  return stream;
}

describe('log format', () => {
  it('is human-readable on a terminal in development', async () => {
    const out = capture(true);
    const logger = await createProcessLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'auto', NODE_ENV: 'development' }, out);
    logger.info({ orderId: 'o-1', store: 'HUAWEI' }, 'order delivered');
    const text = out.text();
    expect(text).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: order delivered\n/);
    expect(text).toContain('orderId: "o-1"');
    expect(() => JSON.parse(text.split('\n')[0]!)).toThrow();
  });

  it('is JSON lines when stdout is not a terminal, in production, or when asked', async () => {
    for (const [isTTY, NODE_ENV, LOG_FORMAT] of [
      [false, 'development', 'auto'],
      [true, 'production', 'auto'],
      [true, 'development', 'json'],
    ] as const) {
      const out = capture(isTTY);
      const logger = await createProcessLogger({ LOG_LEVEL: 'info', LOG_FORMAT, NODE_ENV }, out);
      logger.info({ orderId: 'o-1' }, 'order delivered');
      expect(JSON.parse(out.text().trim())).toMatchObject({ level: 30, msg: 'order delivered', orderId: 'o-1', service: 'zerodrop' });
    }
    const forced = capture(false);
    (await createProcessLogger({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty', NODE_ENV: 'production' }, forced)).info('hello');
    expect(forced.text()).toContain('INFO: hello');
  });
});

describe('order lines', () => {
  it('one info line per delivered and revoked order and per acknowledgement outcome, with order, store and app', async () => {
    const out = capture(false);
    const t = await createTestApp({}, { logger: createLogger('info', out) });
    try {
      const tenant = await t.createTenant('logs');
      const shop = await openShop(t.app, tenant.appId);
      const { order } = await buy(t.app, shop, 'player-1');
      await t.app.services.fulfilment.revokeOrder(order.id, { at: new Date(), reason: 'refund' });
      const lines = () =>
        out
          .text()
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .filter((line) => line.orderId === order.id);
      expect(lines()).toEqual([
        expect.objectContaining({ level: 30, msg: 'order delivered', orderId: order.id, store: 'NOWGG', appId: tenant.appId }),
        expect.objectContaining({ level: 30, msg: 'order revoked', orderId: order.id, store: 'NOWGG', appId: tenant.appId }),
      ]);

      // a second order consumed server-side: this account reaches no now.gg, so the attempt fails
      const { order: second } = await buy(t.app, shop, 'player-2', { finishMode: 'SERVER', purchaseToken: 'token-2' });
      await t.app.worker.runOnce();
      const acks = out
        .text()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.orderId === second.id && typeof line.outcome === 'string');
      expect(acks).toEqual([
        expect.objectContaining({ level: 30, msg: 'store acknowledgement failed; retrying', outcome: 'failed', attempt: 1, store: 'NOWGG', appId: tenant.appId }),
      ]);
    } finally {
      await t.close();
    }
  }, 120_000);
});
