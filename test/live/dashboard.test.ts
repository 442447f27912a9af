// The dashboard page in headless Chromium (Debian's chromium package, driven by
// playwright-core): a server key in; recent orders, search, charts, live orders, totals,
// pending acknowledgements and failures out, through the public GraphQL API only.
// Screenshots land in DASHBOARD_SCREENSHOTS (default: a temporary folder) for review.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  const screenshots = process.env.DASHBOARD_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'zd-dashboard-'));
  mkdirSync(screenshots, { recursive: true });
  const shoot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  /** Orders that exist before the page connects: the recent list must show them. */
  let early: Awaited<ReturnType<typeof buy>>;
  let unpriced: Awaited<ReturnType<typeof buy>>;
  let refunded: Awaited<ReturnType<typeof buy>>;

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('Dashboard demo');
    shop = await openShop(t.app, tenant.appId);
    early = await buy(t.app, shop, 'early-bird', { storeOrderId: 'GPA.early-1', amountMinor: 1200n, currency: 'JPY' });
    unpriced = await buy(t.app, shop, 'no-price', { amountMinor: null, currency: null });
    refunded = await buy(t.app, shop, 'refunder', { amountMinor: 500n, currency: 'JPY', purchasedAt: new Date(Date.now() - 2 * 86_400_000) });
    await t.app.services.fulfilment.revokeOrder(refunded.order.id, { at: new Date(), reason: 'refunded by the store' });
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

  it('shows no board before connecting', async () => {
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.goto(`${server.url}/dashboard`);
    expect(await page.isVisible('#connect-form')).toBe(true);
    expect(await page.isVisible('#board')).toBe(false);
    await shoot('1-before-connect');
  });

  it('connects with a server key and follows the app live', async () => {
    await page.fill('#server-key', tenant.serverKey);
    await page.click('#connect');
    await page.waitForSelector('#status[data-state="live"]', { timeout: 10_000 });
    expect(await page.textContent('#app-name')).toContain('Dashboard demo');
    expect(await page.isVisible('#board')).toBe(true);
  });

  it('backfills the recent orders on connect, with product names, right-aligned amounts and "—" without a price', async () => {
    const earlyRow = page.locator(`#recent tr[data-order="${early.order.storeOrderId}"]`);
    await earlyRow.waitFor({ timeout: 5_000 });
    const cells = await earlyRow.locator('td').allTextContents();
    expect(cells).toContain('early-bird');
    expect(cells).toContain('100 gems');
    expect(cells).toContain('FINISHED');
    const amount = earlyRow.locator('td.num');
    expect(await amount.textContent()).toMatch(/1,200/);
    expect(await amount.evaluate((td) => getComputedStyle(td).textAlign)).toBe('right');
    expect(await page.locator('#recent th.num').evaluate((th) => getComputedStyle(th).textAlign)).toBe('right');
    expect(await page.locator(`#recent tr[data-order="${unpriced.order.storeOrderId}"] td.num`).textContent()).toBe('—');
    expect(await page.locator(`#recent tr[data-order="${refunded.order.storeOrderId}"]`).textContent()).toContain('REVOKED');
  });

  it('draws revenue and refunds per day locally as SVG', async () => {
    const jpy = page.locator('svg.chart[data-currency="JPY"]');
    await jpy.waitFor({ timeout: 5_000 });
    const revenue = jpy.locator('rect[data-kind="revenue"][data-store="NOWGG"]');
    expect(await revenue.count()).toBe(1);
    expect(await revenue.getAttribute('data-amount')).toBe('1200');
    const refund = jpy.locator('rect[data-kind="refund"]');
    expect(await refund.count()).toBe(1);
    expect(await refund.getAttribute('data-amount')).toBe('500');
    // drawn with height, refunds below the revenue (one read of the drawing)
    const [up, down] = await jpy.evaluate((chart) =>
      ['revenue', 'refund'].map((kind) => {
        const box = chart.querySelector(`rect[data-kind="${kind}"]`)!.getBoundingClientRect();
        return { y: box.y, height: box.height };
      }),
    );
    expect(up!.height).toBeGreaterThan(10);
    expect(down!.height).toBeGreaterThan(3);
    expect(down!.y).toBeGreaterThanOrEqual(up!.y + up!.height - 1);
    const totals = page.locator('#totals tr[data-total$=":NOWGG:JPY"]').first();
    expect(await totals.textContent()).toContain('1,200');
    await shoot('2-connected');
  });

  it('finds orders by store order id, by order id and by player', async () => {
    const searchFor = async (text: string) => {
      await page.fill('#search', text);
      await page.click('#search-button');
      await page.waitForFunction((t) => document.getElementById('search-summary')?.textContent?.includes(t), text, { timeout: 5_000 });
      return page.locator('#found tr[data-order-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-order')));
    };
    expect(await searchFor('GPA.early-1')).toEqual(['GPA.early-1']);
    expect(await searchFor(early.order.id)).toEqual(['GPA.early-1']); // the raw order id
    const globalId = Buffer.from(`Order:${unpriced.order.id}`).toString('base64');
    expect(await searchFor(globalId)).toEqual([unpriced.order.storeOrderId]);
    expect(await searchFor('refunder')).toEqual([refunded.order.storeOrderId]);
    // results show the order id support can paste back (the API's global id)
    expect(await page.locator('#found td.id').first().textContent()).toBe(Buffer.from(`Order:${refunded.order.id}`).toString('base64'));
    expect(await searchFor('nobody-has-this')).toEqual([]);
    expect(await page.textContent('#found')).toContain('No order has');
    // clicking a player shows that player's orders
    await searchFor('GPA.early-1');
    await page.click('#found a.player');
    await page.waitForFunction(() => document.getElementById('search-summary')?.textContent?.includes('early-bird'), null, { timeout: 5_000 });
    await shoot('3-search');
    await page.click('#search-clear');
    expect(await page.isVisible('#search-results')).toBe(false);
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
      expect(text).toContain('100 gems');
      // the recent list puts the new order on top
      expect(await page.locator('#recent tr[data-order]').first().getAttribute('data-order')).toBe(storeOrderId);
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

  it('ran without page errors (scripts, CSP, API)', async () => {
    await shoot('4-after-events');
    expect(pageErrors).toEqual([]);
  });
});
