// Limits a public API needs: per-key rate limits (429 + Retry-After), query limits
// (graphql-armor: 400 QUERY_TOO_COMPLEX before anything runs), CSRF prevention for
// requests browsers send without a preflight, and masked unexpected errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryLimits } from '../../src/armor.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';

interface Body {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

describe('limits', () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('limits');
  });
  afterAll(() => t.close());

  describe('per-key rate limit', () => {
    it('answers 429 RATE_LIMITED with Retry-After once a key spends its budget; other keys keep theirs', async () => {
      const created = await t.app.services.apps.createApp({ name: 'tight', rateLimitPerMinute: 3 }, 600);
      const ask = (key: string) => t.post({ query: '{ __typename }' }, { key });
      for (let i = 0; i < 3; i++) expect((await ask(created.serverKey)).status).toBe(200);

      const limited = await ask(created.serverKey);
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await limited.json()).toEqual({
        errors: [
          {
            message: `Rate limit of 3 requests/minute exceeded for this API key; retry in ${retryAfter}s`,
            extensions: { code: 'RATE_LIMITED' },
          },
        ],
      });

      // the budget is per key: the same app's client key, and other apps, are unaffected
      expect((await ask(created.clientKey)).status).toBe(200);
      expect((await ask(tenant.serverKey)).status).toBe(200);
    });
  });

  describe('query limits', () => {
    const refused = async (query: string, limit: RegExp) => {
      // plain JSON clients too: Yoga would answer them 200 for validation errors
      const res = await t.post({ query }, { key: tenant.serverKey, headers: { accept: 'application/json' } });
      const body = (await res.json()) as Body;
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(body.data).toBeUndefined();
      expect(body.errors).toHaveLength(1);
      expect(body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(body.errors?.[0]?.message).toMatch(/^Query refused: /);
      expect(body.errors?.[0]?.message).toMatch(limit);
    };

    it('refuse a query nested deeper than the depth limit', async () => {
      let selection = 'id';
      for (let i = 0; i < 7; i++) selection = `order { entitlements { ${selection} } }`;
      await refused(`{ entitlements(playerId: "p") { ${selection} } }`, new RegExp(`depth limit of ${queryLimits.maxDepth} exceeded`));
    });

    it('refuse more aliases than allowed, before any of them runs', async () => {
      const aliases = Array.from(
        { length: queryLimits.maxAliases + 1 },
        (_, i) => `p${i}: createProduct(input: { store: NOWGG, sku: "alias_${i}", storeProductId: "alias_${i}", type: CONSUMABLE, name: "x" }) { __typename }`,
      );
      await refused(`mutation { ${aliases.join(' ')} }`, new RegExp(`Aliases limit of ${queryLimits.maxAliases} exceeded`));
      expect(await t.app.db.prisma.product.count({ where: { appId: tenant.appId } })).toBe(0);
    });

    it('refuse a document with too many tokens', async () => {
      await refused(`{ app { ${'name '.repeat(queryLimits.maxTokens)} } }`, new RegExp(`Token limit of ${queryLimits.maxTokens} exceeded`));
    });

    it('refuse a query whose estimated cost is too high', async () => {
      await refused('{ orders(first: 1000) { edges { node { id } } } }', new RegExp(`Cost limit of ${queryLimits.maxCost} exceeded`));
    });

    it('refuse too many directives', async () => {
      await refused(`{ __typename ${'@skip(if: false) '.repeat(queryLimits.maxDirectives + 1)} }`, new RegExp(`Directives limit of ${queryLimits.maxDirectives} exceeded`));
    });

    it('let ordinary queries through', async () => {
      const res = await t.post({ query: '{ app { name } orders(first: 20) { edges { node { id product { sku } } } } }' }, { key: tenant.serverKey });
      expect(res.status).toBe(200);
      expect(((await res.json()) as Body).errors).toBeUndefined();
    });
  });

  describe('CSRF prevention', () => {
    const csrfRefusal = { errors: [{ message: 'Required CSRF header(s) not present' }] };
    const request = (init: RequestInit & { path?: string }) =>
      t.app.fetch(new Request(`http://zerodrop.test${init.path ?? '/graphql'}`, init));

    it('refuses a GET query without the x-graphql-yoga-csrf header, and runs it with the header', async () => {
      const path = `/graphql?query=${encodeURIComponent('{ __typename }')}`;
      const bare = await request({ path });
      expect(bare.status).toBe(403);
      expect(await bare.json()).toEqual(csrfRefusal);
      const marked = await request({ path, headers: { 'x-graphql-yoga-csrf': '1' } });
      expect(await marked.json()).toEqual({ data: { __typename: 'Query' } });
    });

    it('refuses POSTs a browser sends cross-site without a preflight (forms, text/plain)', async () => {
      for (const [contentType, body] of [
        ['application/x-www-form-urlencoded', `query=${encodeURIComponent('{ __typename }')}`],
        ['text/plain', JSON.stringify({ query: '{ __typename }' })],
        ['multipart/form-data; boundary=x', `--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--x--\r\n`],
      ] as const) {
        const res = await request({ method: 'POST', headers: { 'content-type': contentType }, body });
        expect(res.status, contentType).toBe(403);
        expect(await res.json()).toEqual(csrfRefusal);
      }
    });

    it('accepts JSON POSTs and serves GraphiQL to browsers', async () => {
      const json = await request({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(await json.json()).toEqual({ data: { __typename: 'Query' } });
      const page = await request({ headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
    });
  });

  describe('error masking', () => {
    it('shows "Unexpected error." and nothing else for an error nobody typed', async () => {
      const product = await t.app.services.products.create(tenant.appId, {
        store: 'HUYA',
        sku: 'gift_share',
        storeProductId: 'goods-gift-share',
        type: 'REVENUE_SHARE',
        name: 'Gift share',
        revenueTiers: [{ minBeans: 0n, ratePercent: 10 }],
        monthlyCap: 1_000_000n,
      });
      // a row damaged outside the API: the resolver's BigInt() throws a SyntaxError
      await t.app.db.prisma.product.update({ where: { id: product.id }, data: { revenueTiers: [{ minBeans: 'lots', ratePercent: 10 }] } });
      // Yoga adds the original error and its stack in "development"; ZeroDrop turns that off
      const nodeEnv = process.env.NODE_ENV;
      process.env.NODE_ENV = 'development';
      const res = await t
        .post({ query: '{ products(first: 5) { edges { node { sku revenueTiers { minBeans } } } } }' }, { key: tenant.serverKey })
        .finally(() => (process.env.NODE_ENV = nodeEnv));
      const text = await res.text();
      const body = JSON.parse(text) as Body;
      expect(body.errors).toEqual([
        expect.objectContaining({ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
      ]);
      for (const leak of ['SyntaxError', 'BigInt', 'lots', 'stack', 'originalError', '/src/']) expect(text).not.toContain(leak);
      await t.app.db.prisma.product.delete({ where: { id: product.id } });
    });
  });
});
