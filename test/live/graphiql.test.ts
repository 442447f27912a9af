// GraphiQL served from this server's own files: it renders with every request to another
// origin blocked (as offline), opens with the example operations, and runs them; `GET /`
// leads to it, or to the dashboard when GraphiQL is off.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { parse, validate } from 'graphql';
import { buildSchema } from '../../src/schema/index.js';
import { builtInStores } from '../../src/providers/index.js';
import { graphiqlExamples } from '../../src/http/graphiql.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { listen } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

describe('GraphiQL and the front door', () => {
  it('the example operations are valid against the schema', () => {
    const schema = buildSchema(builtInStores);
    expect(graphiqlExamples.map((example) => example.title)).toEqual(['Create a product', 'Mint a player token', 'A purchase', 'Watch orders']);
    for (const example of graphiqlExamples) {
      expect(validate(schema, parse(example.query)).map((error) => error.message), example.title).toEqual([]);
    }
  });

  it('GET / redirects to GraphiQL; the page references only its own files', async () => {
    const t = await createTestApp({ GRAPHIQL: 'true' });
    try {
      const root = await t.app.fetch(new Request('http://zd.test/'));
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/graphql');
      const page = await t.app.fetch(new Request('http://zd.test/graphql', { headers: { accept: 'text/html' } }));
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).not.toMatch(/https?:\/\//);
      expect(html).toContain('/graphiql/graphiql.js');
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      const script = await t.app.fetch(new Request('http://zd.test/graphiql/graphiql.js'));
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toContain('javascript');
      expect((await t.app.fetch(new Request('http://zd.test/graphiql/nope.js'))).status).toBe(404);
    } finally {
      await t.close();
    }
  }, 120_000);

  it('with GraphiQL off, GET / leads to the dashboard and no GraphiQL file is served', async () => {
    const t = await createTestApp({ GRAPHIQL: 'false' });
    try {
      const root = await t.app.fetch(new Request('http://zd.test/'));
      expect(root.status).toBe(302);
      expect(root.headers.get('location')).toBe('/dashboard/');
      expect((await t.app.fetch(new Request('http://zd.test/graphiql/graphiql.js'))).status).toBe(404);
      const page = await t.app.fetch(new Request('http://zd.test/graphql', { headers: { accept: 'text/html' } }));
      expect(page.headers.get('content-type') ?? '').not.toContain('text/html');
    } finally {
      await t.close();
    }
  });

  describe.skipIf(!haveChromium)(
    haveChromium ? 'in headless Chromium' : `in headless Chromium — SKIPPED: ${CHROMIUM} is absent (apt-get install -y chromium)`,
    () => {
      let t: TestApp;
      let tenant: Tenant;
      let server: Awaited<ReturnType<typeof listen>>;
      let browser: Browser;
      let page: Page;
      const pageErrors: string[] = [];
      const foreign: string[] = [];

      beforeAll(async () => {
        t = await createTestApp({ GRAPHIQL: 'true' });
        tenant = await t.createTenant('GraphiQL demo');
        server = await listen(t.app);
        browser = await chromium.launch({
          executablePath: CHROMIUM,
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
        });
        const context = await browser.newContext();
        // Offline but for this server: anything else is recorded and refused.
        await context.route('**/*', (route) => {
          const url = route.request().url();
          if (url.startsWith(server.url) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
          foreign.push(url);
          return route.abort('internetdisconnected');
        });
        page = await context.newPage();
        page.on('pageerror', (err) => pageErrors.push(err.message));
        page.on('console', (message) => {
          if (message.type() === 'error') pageErrors.push(message.text());
        });
      }, 60_000);
      /** An editor's text as shown (Monaco lays spaces out as no-break spaces). */
      const shown = async (selector: string) => (await page.locator(selector).innerText()).replace(/\s+/g, ' ');
      afterAll(async () => {
        await browser?.close();
        await server?.close();
        await t?.close();
      });

      it('renders from / with the example operations, offline', async () => {
        await page.goto(`${server.url}/`);
        expect(new URL(page.url()).pathname).toBe('/graphql');
        await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
        const tabs = page.locator('.graphiql-tab');
        await expect.poll(() => tabs.count(), { timeout: 15_000 }).toBe(4);
        await expect.poll(() => shown('.graphiql-query-editor'), { timeout: 15_000 }).toContain('mutation CreateProduct');
        expect(foreign).toEqual([]);
        expect(pageErrors).toEqual([]);
      }, 60_000);

      it('runs an operation against this server with the key in the headers editor', async () => {
        const headers = page.locator('.graphiql-editor-tool .graphiql-editor').last();
        await page.getByText('Headers', { exact: true }).click();
        await headers.click();
        await page.keyboard.press('ControlOrMeta+A');
        await page.keyboard.press('Delete');
        await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${tenant.serverKey}` }));
        await page.locator('.graphiql-execute-button').click();
        await expect
          .poll(() => shown('.graphiql-response'), { timeout: 20_000 })
          .toContain('"sku": "gems_100"');
        expect(foreign).toEqual([]);
        expect(pageErrors).toEqual([]);
      }, 60_000);
    },
  );
});
