import { SignJWT } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/platform/errors.js';
import { HuyaPlayerTokenError, verifyHuyaSdkJwt } from '../../../src/providers/huya/protocol/index.js';
import { HUYA_TEST_EXT_SECRET, huyaTestAccount, mintHuyaSdkJwt } from '../../helpers/huya.js';

const now = new Date('2024-05-10T04:00:00Z');
const inAnHour = new Date(now.getTime() + 3_600_000);
const account = huyaTestAccount();

async function codeOf(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return undefined;
}

describe('verifyHuyaSdkJwt', () => {
  it('returns the profileId of a valid token', async () => {
    const token = await mintHuyaSdkJwt({ issuedAt: now, expiresAt: inAnHour, profileId: 'streamer-9' });
    const identity = await verifyHuyaSdkJwt(account, token, { now });
    expect(identity).toMatchObject({ profileId: 'streamer-9', userId: 'user-42', expiresAt: new Date(Math.floor(inAnHour.getTime() / 1000) * 1000) });
  });

  it('refuses an expired token', async () => {
    const token = await mintHuyaSdkJwt({ issuedAt: now, expiresAt: inAnHour });
    expect(await codeOf(() => verifyHuyaSdkJwt(account, token, { now: new Date(inAnHour.getTime() + 60_000) }))).toBe(
      'PLAYER_TOKEN_EXPIRED',
    );
  });

  it('refuses a token without exp', async () => {
    const token = await mintHuyaSdkJwt({ issuedAt: now });
    expect(await codeOf(() => verifyHuyaSdkJwt(account, token, { now }))).toBe('INVALID_PLAYER_TOKEN');
  });

  it('refuses a token signed with another secret', async () => {
    const token = await mintHuyaSdkJwt({ issuedAt: now, expiresAt: inAnHour, secret: `${HUYA_TEST_EXT_SECRET}-other` });
    await expect(verifyHuyaSdkJwt(account, token, { now })).rejects.toBeInstanceOf(HuyaPlayerTokenError);
  });

  it('refuses other algorithms: HS512 with the same secret, RS256, and alg none', async () => {
    const claims = { profileId: 'streamer-1' };
    const hs512 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS512' })
      .setExpirationTime(Math.floor(inAnHour.getTime() / 1000))
      .sign(new TextEncoder().encode(HUYA_TEST_EXT_SECRET));
    expect(await codeOf(() => verifyHuyaSdkJwt(account, hs512, { now }))).toBe('INVALID_PLAYER_TOKEN');

    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256' })
      .setExpirationTime(Math.floor(inAnHour.getTime() / 1000))
      .sign(privateKey);
    expect(await codeOf(() => verifyHuyaSdkJwt(account, rs256, { now }))).toBe('INVALID_PLAYER_TOKEN');

    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ ...claims, exp: Math.floor(inAnHour.getTime() / 1000) })}.`;
    expect(await codeOf(() => verifyHuyaSdkJwt(account, unsigned, { now }))).toBe('INVALID_PLAYER_TOKEN');
  });

  it('refuses a token issued for another mini-program', async () => {
    const token = await mintHuyaSdkJwt({ issuedAt: now, expiresAt: inAnHour, extId: 'another-ext' });
    expect(await codeOf(() => verifyHuyaSdkJwt(account, token, { now }))).toBe('WRONG_APPLICATION');
  });
});
