// Gift-revenue goods end to end: stat sessions, gift income, tier crossings, the cap,
// confirmations, month boundaries in Asia/Shanghai, arrears and payments. The clock (Date
// only) is moved to cross months; the databases and timers run for real.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { graphql } from '../gql/index.js';
import { createTestApp, type Tenant, type TestApp } from '../helpers/app.js';
import { mintHuyaSdkJwt } from '../helpers/huya.js';
import { GoodsAccess, createHuyaAccount, createRevenueGoods } from './setup.js';

const StartStat = graphql(`
  mutation HuyaStartStat($input: StartHuyaGiftRevenueStatInput!) {
    startHuyaGiftRevenueStat(input: $input) {
      __typename
      ... on HuyaStatSessionPayload { session { id profileId giftIds startedAt endedAt } }
      ... on Error { code message }
    }
  }
`);

const EndStat = graphql(`
  mutation HuyaEndStat($input: EndHuyaGiftRevenueStatInput!) {
    endHuyaGiftRevenueStat(input: $input) {
      __typename
      ... on EndHuyaGiftRevenueStatPayload { endedSessions }
      ... on Error { code message }
    }
  }
`);

const RecordGift = graphql(`
  mutation HuyaRecordGift($input: RecordHuyaGiftRevenueInput!) {
    recordHuyaGiftRevenue(input: $input) {
      __typename
      ... on RecordHuyaGiftRevenuePayload { outcome bill { month incomeBeans tierIndex feeBeans capReached } }
      ... on Error { code message }
    }
  }
`);

const Confirm = graphql(`
  mutation HuyaConfirm($input: ConfirmHuyaGoodsUseInput!) {
    confirmHuyaGoodsUse(input: $input) {
      __typename
      ... on ConfirmHuyaGoodsUsePayload { access { canUse reason confirmationLevel bill { confirmedTier } } }
      ... on Error { code message }
    }
  }
`);

const Bill = graphql(`
  query HuyaBill($goodsUuid: String!, $profileId: String, $month: String) {
    huyaMonthlyBill(goodsUuid: $goodsUuid, profileId: $profileId, month: $month) {
      __typename
      ... on HuyaMonthlyBill {
        month closed incomeBeans tierIndex ratePercent uncappedFeeBeans feeBeans capReached monthlyCapBeans
        tiers { minBeans ratePercent } paidBeans dueBeans arrearsBeans confirmedTier firstUseConfirmedAt
      }
      ... on Error { code message }
    }
  }
`);

const Pay = graphql(`
  mutation HuyaPay($input: RecordHuyaBillPaymentInput!) {
    recordHuyaBillPayment(input: $input) {
      __typename
      ... on RecordHuyaBillPaymentPayload { duplicate bill { month feeBeans paidBeans dueBeans arrearsBeans } }
      ... on Error { code message }
    }
  }
`);

const GOODS = 'goods-story-mode';
const STREAMER = 'streamer-gifts';
// 2026-01-15 12:00 in Shanghai; January ends at 2026-01-31T16:00:00Z (Feb 1, 00:00 in Shanghai).
const MID_JANUARY = new Date('2026-01-15T04:00:00Z');
const FEBRUARY_STARTS = new Date('2026-01-31T16:00:00Z');

let t: TestApp;
let tenant: Tenant;

beforeAll(async () => {
  t = await createTestApp();
  tenant = await t.createTenant('huya-revenue');
  await createHuyaAccount(t, tenant);
  await createRevenueGoods(t, tenant, GOODS);
});
afterAll(() => t.close());
afterEach(() => {
  vi.useRealTimers();
});

function at(instant: Date): void {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(instant);
}

const server = () => ({ key: tenant.serverKey });
let eventCounter = 0;
const gift = (giftId: string, beans: number, extra: { eventId?: string; receivedAt?: string; profileId?: string } = {}) =>
  t.gql(
    RecordGift,
    { input: { goodsUuid: GOODS, profileId: extra.profileId ?? STREAMER, giftId, beans: String(beans), eventId: extra.eventId ?? `gift-${++eventCounter}`, ...(extra.receivedAt ? { receivedAt: extra.receivedAt } : {}) } },
    server(),
  );
const access = async (profileId = STREAMER) => {
  const res = await t.gql(GoodsAccess, { goodsUuid: GOODS, profileId }, server());
  const value = res.data?.huyaGoodsAccess;
  if (value?.__typename !== 'HuyaGoodsAccess') throw new Error(JSON.stringify(res));
  return value;
};
/** A client key acting for STREAMER with a Huya SDK JWT valid for an hour from the (test) clock. */
const asStreamer = async () => ({
  key: tenant.clientKey,
  playerToken: await mintHuyaSdkJwt({ profileId: STREAMER, issuedAt: new Date(), expiresAt: new Date(Date.now() + 3_600_000) }),
});
const outcomeOf = (res: Awaited<ReturnType<typeof gift>>) => {
  const value = res.data?.recordHuyaGiftRevenue;
  if (value?.__typename !== 'RecordHuyaGiftRevenuePayload') throw new Error(JSON.stringify(res));
  return value;
};

describe('a month of gift-revenue goods', () => {
  it('walks first use, sessions, tiers, the cap, month end, arrears and payment', async () => {
    at(MID_JANUARY);
    // First use this month: the streamer must confirm.
    expect(await access()).toMatchObject({ productType: 'REVENUE_SHARE', canUse: false, reason: 'NEEDS_FIRST_USE_CONFIRMATION', confirmationLevel: 0, expire: -1 });
    let player = await asStreamer();
    const confirmed = await t.gql(Confirm, { input: { goodsUuid: GOODS } }, player);
    expect(confirmed.data?.confirmHuyaGoodsUse).toMatchObject({ access: { canUse: true, reason: 'OK', bill: { confirmedTier: 0 } } });

    // No session yet: gifts are ignored.
    expect(outcomeOf(await gift('g1', 500)).outcome).toBe('NO_OPEN_SESSION');
    const started = await t.gql(StartStat, { input: { goodsUuid: GOODS, giftIds: ['g1', 'g2', 'g1'] } }, player);
    expect(started.data?.startHuyaGiftRevenueStat).toMatchObject({ session: { profileId: STREAMER, giftIds: ['g1', 'g2'], endedAt: null } });

    expect(outcomeOf(await gift('g3', 50_000)).outcome).toBe('GIFT_NOT_IN_SESSION');
    expect(outcomeOf(await gift('g1', 99_999))).toMatchObject({ outcome: 'COUNTED', bill: { month: '2026-01', incomeBeans: '99999', tierIndex: 0, feeBeans: '0' } });
    expect(await access()).toMatchObject({ canUse: true, reason: 'OK' });

    // Crossing into tier 1 (10 % of the whole income) needs a confirmation.
    const crossing = await gift('g2', 1, { eventId: 'crossing' });
    expect(outcomeOf(crossing)).toMatchObject({ outcome: 'COUNTED', bill: { incomeBeans: '100000', tierIndex: 1, feeBeans: '10000' } });
    expect(outcomeOf(await gift('g2', 1, { eventId: 'crossing' }))).toMatchObject({ outcome: 'DUPLICATE', bill: { incomeBeans: '100000' } });
    const conflicting = await gift('g2', 2, { eventId: 'crossing' });
    expect(conflicting.data?.recordHuyaGiftRevenue).toMatchObject({ __typename: 'ConflictError' });
    expect(await access()).toMatchObject({ canUse: false, reason: 'NEEDS_TIER_CONFIRMATION', confirmationLevel: 1, bill: { feeBeans: '10000' } });
    await t.gql(Confirm, { input: { goodsUuid: GOODS, confirmationLevel: 1 } }, player);
    expect(await access()).toMatchObject({ canUse: true, reason: 'OK' });

    // 1,500,000 beans: tier 2 at 20 % would be 300,000 = the cap; one confirmation for the jump.
    expect(outcomeOf(await gift('g1', 1_400_000))).toMatchObject({ bill: { incomeBeans: '1500000', tierIndex: 2, feeBeans: '300000', capReached: true } });
    expect(await access()).toMatchObject({ canUse: false, reason: 'NEEDS_CAP_CONFIRMATION', confirmationLevel: 3 });
    // Confirming a level above the current one confirms only the current one.
    const capConfirmed = await t.gql(Confirm, { input: { goodsUuid: GOODS, profileId: STREAMER, confirmationLevel: 99 } }, server());
    expect(capConfirmed.data?.confirmHuyaGoodsUse).toMatchObject({ access: { canUse: true, reason: 'OK', bill: { confirmedTier: 3 } } });
    expect(outcomeOf(await gift('g1', 5_000_000))).toMatchObject({ bill: { incomeBeans: '6500000', feeBeans: '300000' } });
    expect(await access()).toMatchObject({ canUse: true, reason: 'OK' });

    // The last second of January (Shanghai) still counts to January.
    at(new Date(FEBRUARY_STARTS.getTime() - 1000));
    expect(outcomeOf(await gift('g1', 10)).bill.month).toBe('2026-01');

    at(FEBRUARY_STARTS);
    player = await asStreamer(); // the SDK's token is short-lived: the mini-program gets a new one
    expect(outcomeOf(await gift('g1', 1000)).bill).toMatchObject({ month: '2026-02', incomeBeans: '1000' });
    const january = await t.gql(Bill, { goodsUuid: GOODS, profileId: STREAMER, month: '2026-01' }, server());
    expect(january.data?.huyaMonthlyBill).toMatchObject({
      month: '2026-01',
      closed: true,
      incomeBeans: '6500010',
      tierIndex: 2,
      ratePercent: 20,
      uncappedFeeBeans: '1300002',
      feeBeans: '300000',
      capReached: true,
      monthlyCapBeans: '300000',
      tiers: [
        { minBeans: '0', ratePercent: 0 },
        { minBeans: '100000', ratePercent: 10 },
        { minBeans: '1000000', ratePercent: 20 },
      ],
      paidBeans: '0',
      dueBeans: '300000',
      arrearsBeans: '300000',
      confirmedTier: 3,
    });
    // Arrears block use; confirming cannot lift them.
    expect(await access()).toMatchObject({ canUse: false, reason: 'ARREARS', bill: { month: '2026-02', arrearsBeans: '300000' } });
    const blocked = await t.gql(Confirm, { input: { goodsUuid: GOODS } }, player);
    expect(blocked.data?.confirmHuyaGoodsUse).toMatchObject({ access: { canUse: false, reason: 'ARREARS' } });

    const payment = { goodsUuid: GOODS, profileId: STREAMER, month: '2026-01', paymentId: 'pay-1', beans: '100000' };
    expect((await t.gql(Pay, { input: payment }, server())).data?.recordHuyaBillPayment).toMatchObject({
      duplicate: false,
      bill: { paidBeans: '100000', dueBeans: '200000', arrearsBeans: '200000' },
    });
    expect((await t.gql(Pay, { input: payment }, server())).data?.recordHuyaBillPayment).toMatchObject({
      duplicate: true,
      bill: { paidBeans: '100000', arrearsBeans: '200000' },
    });
    const reused = await t.gql(Pay, { input: { ...payment, beans: '5' } }, server());
    expect(reused.data?.recordHuyaBillPayment).toMatchObject({ __typename: 'ConflictError' });
    expect(await access()).toMatchObject({ canUse: false, reason: 'ARREARS', bill: { arrearsBeans: '200000' } });

    await t.gql(Pay, { input: { ...payment, paymentId: 'pay-2', beans: '200000' } }, server());
    // Paid up: February is a new month, so the streamer confirms its first use again.
    expect(await access()).toMatchObject({ canUse: false, reason: 'NEEDS_FIRST_USE_CONFIRMATION', bill: { arrearsBeans: '0' } });
    await t.gql(Confirm, { input: { goodsUuid: GOODS } }, player);
    expect(await access()).toMatchObject({ canUse: true, reason: 'OK' });

    const ended = await t.gql(EndStat, { input: { goodsUuid: GOODS } }, player);
    expect(ended.data?.endHuyaGiftRevenueStat).toMatchObject({ endedSessions: 1 });
    expect((await t.gql(EndStat, { input: { goodsUuid: GOODS } }, player)).data?.endHuyaGiftRevenueStat).toMatchObject({ endedSessions: 0 });
    at(new Date(FEBRUARY_STARTS.getTime() + 60_000));
    expect(outcomeOf(await gift('g1', 1000)).outcome).toBe('NO_OPEN_SESSION');
  });

  it('starts a new session by ending the open one; a gift counts by the session covering its time', async () => {
    const profileId = 'streamer-sessions';
    at(new Date('2026-03-10T00:00:00Z'));
    await t.gql(StartStat, { input: { goodsUuid: GOODS, profileId, giftIds: ['a'] } }, server());
    at(new Date('2026-03-10T01:00:00Z'));
    await t.gql(StartStat, { input: { goodsUuid: GOODS, profileId, giftIds: ['b'] } }, server());
    const sessions = await t.app.db.prisma.huyaStatSession.findMany({ where: { profileId }, orderBy: { startedAt: 'asc' } });
    expect(sessions.map((session) => [session.giftIds, session.endedAt?.toISOString() ?? null])).toEqual([
      [['a'], '2026-03-10T01:00:00.000Z'],
      [['b'], null],
    ]);
    // Gift "a" received during the first session still counts; "a" now is not tracked.
    expect(outcomeOf(await gift('a', 7, { profileId, receivedAt: '2026-03-10T00:30:00Z' })).outcome).toBe('COUNTED');
    expect(outcomeOf(await gift('a', 7, { profileId })).outcome).toBe('GIFT_NOT_IN_SESSION');
    expect(outcomeOf(await gift('b', 7, { profileId })).outcome).toBe('COUNTED');
    expect(outcomeOf(await gift('b', 7, { profileId, receivedAt: '2026-03-09T23:00:00Z' })).outcome).toBe('NO_OPEN_SESSION');
  });

  it('counts a gift event and a payment delivered 10 times at once exactly once', async () => {
    const profileId = 'streamer-concurrent';
    at(new Date('2026-05-10T00:00:00Z'));
    await t.gql(StartStat, { input: { goodsUuid: GOODS, profileId, giftIds: ['g1'] } }, server());
    const gifts = await Promise.all(Array.from({ length: 10 }, () => gift('g1', 150_000, { profileId, eventId: 'burst' })));
    expect(gifts.map((res) => outcomeOf(res).outcome).sort()).toEqual(['COUNTED', ...Array.from({ length: 9 }, () => 'DUPLICATE')]);
    const payment = { goodsUuid: GOODS, profileId, month: '2026-05', paymentId: 'burst-pay', beans: '15000' };
    const payments = await Promise.all(Array.from({ length: 10 }, () => t.gql(Pay, { input: payment }, server())));
    expect(payments.filter((res) => res.data?.recordHuyaBillPayment.__typename === 'RecordHuyaBillPaymentPayload')).toHaveLength(10);
    const bill = await t.gql(Bill, { goodsUuid: GOODS, profileId }, server());
    expect(bill.data?.huyaMonthlyBill).toMatchObject({ incomeBeans: '150000', feeBeans: '15000', paidBeans: '15000', dueBeans: '0' });
  });

  it('refuses bad input with typed errors and keeps income to server keys', async () => {
    at(new Date('2026-04-02T00:00:00Z'));
    const zero = await gift('g1', 0);
    expect(zero.data?.recordHuyaGiftRevenue).toMatchObject({ __typename: 'ValidationError' });
    const future = await gift('g1', 1, { receivedAt: '2026-04-03T00:00:00Z' });
    expect(future.data?.recordHuyaGiftRevenue).toMatchObject({ __typename: 'ValidationError' });
    const unknownGoods = await t.gql(StartStat, { input: { goodsUuid: 'nope', profileId: STREAMER, giftIds: ['g1'] } }, server());
    expect(unknownGoods.data?.startHuyaGiftRevenueStat).toMatchObject({ __typename: 'NotFoundError' });
    const noGifts = await t.gql(StartStat, { input: { goodsUuid: GOODS, profileId: STREAMER, giftIds: [] } }, server());
    expect(noGifts.data?.startHuyaGiftRevenueStat).toMatchObject({ __typename: 'ValidationError' });
    const badMonth = await t.gql(Bill, { goodsUuid: GOODS, profileId: STREAMER, month: '2026-13' }, server());
    expect(badMonth.data?.huyaMonthlyBill).toMatchObject({ __typename: 'ValidationError' });
    const futurePayment = await t.gql(Pay, { input: { goodsUuid: GOODS, profileId: STREAMER, month: '2026-05', paymentId: 'early', beans: '1' } }, server());
    expect(futurePayment.data?.recordHuyaBillPayment).toMatchObject({ __typename: 'ValidationError' });

    const player = await asStreamer();
    const byClient = await t.gql(
      RecordGift,
      { input: { goodsUuid: GOODS, profileId: STREAMER, giftId: 'g1', beans: '1', eventId: 'from-client' } },
      player,
    );
    expect(byClient.errors?.[0]?.extensions?.['code']).toBe('FORBIDDEN');
    const otherStreamer = await t.gql(Bill, { goodsUuid: GOODS, profileId: 'someone-else' }, player);
    expect(otherStreamer.data?.huyaMonthlyBill).toMatchObject({ __typename: 'ValidationError' });
  });
});

describe('billing time zone', () => {
  it('follows HUYA_TIME_ZONE for month boundaries', async () => {
    const utc = await createTestApp({ HUYA_TIME_ZONE: 'UTC' });
    try {
      const utcTenant = await utc.createTenant('utc');
      await createRevenueGoods(utc, utcTenant, GOODS);
      at(new Date('2026-01-31T15:00:00Z'));
      await utc.gql(StartStat, { input: { goodsUuid: GOODS, profileId: STREAMER, giftIds: ['g1'] } }, { key: utcTenant.serverKey });
      // 16:30 UTC on Jan 31 is already February in Shanghai, still January in UTC.
      at(new Date('2026-01-31T16:30:00Z'));
      const res = await utc.gql(
        RecordGift,
        { input: { goodsUuid: GOODS, profileId: STREAMER, giftId: 'g1', beans: '5', eventId: 'utc-1' } },
        { key: utcTenant.serverKey },
      );
      expect(res.data?.recordHuyaGiftRevenue).toMatchObject({ outcome: 'COUNTED', bill: { month: '2026-01' } });
    } finally {
      await utc.close();
    }
  });
});
