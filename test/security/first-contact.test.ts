// Issue 16 item 3: first-contact errors name what is missing or wrong, 401s carry
// WWW-Authenticate, and the dashboard shows the same text. Before, a call without a key
// said only "Not authorized to access Query.app".
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { listen } from '../live/helpers.js';

const HINT = 'send Authorization: Bearer zd_sk_… (server key) or zd_pk_… plus X-Player-Token (client key for one player)';

interface Body {
  errors?: { message: string; extensions?: { code?: string } }[];
}

describe('first-contact authentication errors', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('first-contact');
  });
  afterAll(() => t.close());

  const ask = async (creds: Parameters<TestApp['post']>[1]) => {
    const res = await t.post({ query: '{ app { name } }' }, creds);
    return { res, body: (await res.json()) as Body };
  };

  it('a call without credentials names the header to send (status and code unchanged)', async () => {
    const { res, body } = await ask({});
    expect(res.status).toBe(200);
    expect(body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(body.errors?.[0]?.message).toBe(`Not authorized to access Query.app: no credentials; ${HINT}`);
  });

  it('a client key without a player token is told to send X-Player-Token', async () => {
    const { body } = await ask({ key: tenant.clientKey });
    expect(body.errors?.[0]?.message).toBe(
      'Not authorized to access Query.app: a client key without X-Player-Token acts for no player; send X-Player-Token with it, or use a server key (zd_sk_…)',
    );
  });

  it.each([
    ['an unknown key', { key: 'zd_sk_never-issued-0000000000000000' }, 'Invalid or revoked API key'],
    ['a foreign credential', { key: 'sk_live_123' }, 'Unknown credential: expected a zd_sk_ or zd_pk_ API key'],
    ['a malformed header', { headers: { authorization: 'Token abc' } }, 'Authorization must be "Bearer <key>"'],
    ['a forged player token', { playerToken: 'not-a-jwt' }, 'Player token is not a JWT'],
  ] as const)('401 for %s: the reason, the hint and WWW-Authenticate', async (_name, creds, reason) => {
    const { res, body } = await ask('playerToken' in creds ? { key: tenant.clientKey, playerToken: creds.playerToken } : creds);
    expect(res.status).toBe(401);
    expect(body.errors?.[0]).toEqual({ message: `${reason}: ${HINT}`, extensions: { code: 'UNAUTHENTICATED' } });
    const challenge = res.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer realm="zerodrop", error="invalid_token", error_description="/);
    expect(challenge).toContain(reason.replace(/"/g, ''));
  });
});

const CHROMIUM = '/usr/bin/chromium';
describe.skipIf(!existsSync(CHROMIUM))(`the dashboard shows the same text${existsSync(CHROMIUM) ? '' : ' — SKIPPED: no /usr/bin/chromium'}`, () => {
  it('connecting with a wrong key shows the 401 message', async () => {
    const t = await createTestApp();
    const server = await listen(t.app);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage();
      await page.goto(`${server.url}/dashboard`);
      await page.fill('#server-key', 'zd_sk_never-issued-0000000000000000');
      await page.click('#connect');
      await page.waitForSelector('#error:not([hidden])', { timeout: 10_000 });
      expect(await page.textContent('#error')).toBe(`Invalid or revoked API key: ${HINT}`);
    } finally {
      await browser.close();
      await server.close();
      await t.close();
    }
  });
});
