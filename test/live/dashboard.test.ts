// The dashboard page in headless Chromium (Debian's chromium package, driven by
// playwright-core): a server key in, live orders, totals, pending acknowledgements and
// failures out, through the public GraphQL API only.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { buy, listen, openShop, type Shop } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const title = haveChromium
  ? 'the dashboard in headless Chromium'
  : `the dashboard in headless Chromium — SKIPPED: ${CHROMIUM} is absent (install Debian's package: apt-get install -y chromium)`;

describe.skipIf(!haveChromium)(title, () => {
  let t: TestApp;
  let tenant: Tenant;
  let shop: Shop;
  let server: Awaited<ReturnType<typeof listen>>;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('Dashboard demo');
    shop = await openShop(t.app, tenant.appId);
    server = await listen(t.app);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it('connects with a server key and follows the app live', async () => {
    await page.goto(`${server.url}/dashboard`);
    await page.fill('#server-key', tenant.serverKey);
    await page.click('#connect');
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    expect(await page.textContent('#app-name')).toContain('Dashboard demo');
  });

  /** Resolves with the wall-clock time the page shows the order's event row (observed in the page itself). */
  async function watchForRow(storeOrderId: string): Promise<() => Promise<number>> {
    await page.evaluate((id) => {
      const seen = new Promise<number>((resolve) => {
        const found = () => document.querySelector(`#events tr[data-order="${id}"]`) !== null;
        const observer = new MutationObserver(() => {
          if (!found()) return;
          observer.disconnect();
          resolve(Date.now());
        });
        observer.observe(document.getElementById('events')!, { childList: true, subtree: true });
      });
      (window as unknown as { zdSeen: Promise<number> }).zdSeen = seen;
    }, storeOrderId);
    return () => page.evaluate(() => (window as unknown as { zdSeen: Promise<number> }).zdSeen);
  }

  it('shows a purchase within a second of its commit', async () => {
    // The first event warms up the path (JIT, connection pools); the next three are timed.
    const warmUp = await buy(t.app, shop, 'warm-up', { amountMinor: 0n, currency: 'EUR' });
    await page.waitForSelector(`#events tr[data-order="${warmUp.order.storeOrderId}"]`, { timeout: 5_000 });
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 600)); // one purchase at a time, not a burst
      const storeOrderId = `timed-${i}-${Date.now()}`;
      const shown = await watchForRow(storeOrderId);
      await buy(t.app, shop, `player-${i}`, { storeOrderId, amountMinor: 1999n, currency: 'USD' });
      const committedAt = Date.now();
      expect((await shown()) - committedAt).toBeLessThan(1_000);
      const text = await page.textContent(`#events tr[data-order="${storeOrderId}"]`);
      expect(text).toContain('ORDER_DELIVERED');
      expect(text).toContain(`player-${i}`);
      expect(text).toContain('$19.99');
    }
  });

  it('keeps totals per store and day up to date', async () => {
    const row = page.locator('#totals tr[data-total$=":NOWGG:USD"]');
    await expect.poll(async () => row.getAttribute('data-orders'), { timeout: 3_000 }).toBe('3');
    expect(await row.textContent()).toContain('$59.97');
    await buy(t.app, shop, 'one-more', { amountMinor: 1n, currency: 'USD' });
    await expect.poll(async () => row.getAttribute('data-orders'), { timeout: 3_000 }).toBe('4');
  });

  it('lists pending acknowledgements and failures as they happen', async () => {
    const { order } = await buy(t.app, shop, 'must-finish', { finishMode: 'CLIENT' });
    await page.waitForSelector(`#pending tr[data-pending="${order.storeOrderId}"]`, { timeout: 3_000 });

    await t.app.services.fulfilment.recordAckFailure(order.id, 2, 'store answered 503');
    const failure = page.locator('#failures tr[data-failure^="event:"]').first();
    await failure.waitFor({ timeout: 3_000 });
    expect(await failure.textContent()).toContain('attempt 2: store answered 503');

    await t.app.services.fulfilment.markFinished(order.id, 'CLIENT');
    await page.waitForSelector(`#pending tr[data-pending="${order.storeOrderId}"]`, { state: 'detached', timeout: 3_000 });
  });

  it('shows webhook deliveries, and resends a failed one', async () => {
    const { endpoint } = await t.app.services.webhooks.createEndpoint(tenant.appId, { url: 'http://127.0.0.1:9/unreachable' });
    await buy(t.app, shop, 'hooked');
    await t.app.services.webhooks.relayOnce();
    await t.app.worker.runOnce();
    const delivery = await t.app.db.prisma.webhookDelivery.findFirstOrThrow({ where: { endpointId: endpoint.id } });
    // as after three days of failures
    await t.app.db.prisma.task.update({ where: { dedupeKey: delivery.taskKey }, data: { status: 'DEAD' } });
    const failed = page.locator('#failures tr[data-failure^="delivery:"]').first();
    await failed.waitFor({ timeout: 8_000 });
    expect(await failed.textContent()).toContain('FAILED');
    expect(await page.locator('#deliveries tr[data-delivery]').count()).toBeGreaterThan(0);

    await failed.locator('button', { hasText: 'Resend' }).click();
    await expect
      .poll(async () => (await t.app.db.prisma.task.findUniqueOrThrow({ where: { dedupeKey: delivery.taskKey } })).status, { timeout: 3_000 })
      .toBe('PENDING');
  });

  it('resumes after the stream is cut, missing nothing committed meanwhile', async () => {
    t.app.services.orderEvents.closeAll();
    const { order } = await buy(t.app, shop, 'during-reconnect');
    await page.waitForSelector(`#events tr[data-order="${order.storeOrderId}"]`, { timeout: 5_000 });
    await page.waitForSelector('#status[data-state="live"]', { timeout: 5_000 });
    const ids = await page.locator('#events tr[data-event-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-id')));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('ran without page errors (scripts, CSP, API)', () => {
    expect(pageErrors).toEqual([]);
  });
});
