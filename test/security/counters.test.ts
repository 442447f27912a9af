// Issue 13 item 6: players see only their own counters. latestOrderEventId for a player
// (client key with a player token) is that player's newest event, not the app's: the
// app-wide figure told any player how much everyone else buys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { buy, openShop } from '../live/helpers.js';
import { LatestOrderEventId } from '../live/documents.js';

describe("players' counters", () => {
  let t: TestApp;
  let tenant: Tenant;
  beforeAll(async () => {
    t = await createTestApp();
    tenant = await t.createTenant('counters');
  });
  afterAll(() => t.close());

  it("latestOrderEventId gives a player its own newest event; a server key the app's", async () => {
    const shop = await openShop(t.app, tenant.appId);
    await buy(t.app, shop, 'alice');
    for (let i = 0; i < 3; i++) await buy(t.app, shop, `someone-else-${i}`);
    const newest = async (playerId?: string) =>
      (
        await t.app.db.prisma.orderEvent.findFirst({
          where: { appId: tenant.appId, ...(playerId ? { playerId } : {}) },
          orderBy: { id: 'desc' },
          select: { id: true },
        })
      )!.id.toString();
    const asPlayer = async (playerId: string) => {
      const { token } = await t.app.services.auth.mintPlayerToken(tenant.appId, playerId, 600);
      return (await t.gql(LatestOrderEventId, {}, { key: tenant.clientKey, playerToken: token })).data!.latestOrderEventId;
    };
    expect(await asPlayer('alice')).toBe(await newest('alice'));
    expect(await asPlayer('alice')).not.toBe(await newest());
    expect(await asPlayer('nobody-yet')).toBe('0');
    expect((await t.gql(LatestOrderEventId, {}, { key: tenant.serverKey })).data!.latestOrderEventId).toBe(await newest());
  });
});
