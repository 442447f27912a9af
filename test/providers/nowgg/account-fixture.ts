// A now.gg store account pointed at a FakeNowgg.
import type { StoreEnvironment } from '../../../src/generated/prisma/enums.js';
import type { StoreAccountConfig } from '../../../src/providers/contract.js';
import type { FakeNowgg } from '../../helpers/fake-nowgg.js';
import { testOutbound } from '../../helpers/outbound.js';

export const WEBHOOK_API_KEY = 'wh_test_key_5f1c';

export function nowggAccount(
  fake: FakeNowgg,
  overrides: { environment?: StoreEnvironment; settings?: Record<string, unknown>; secrets?: Record<string, string> } = {},
): StoreAccountConfig {
  return {
    id: 'sa_nowgg_1',
    appId: 'app_1',
    store: 'NOWGG',
    environment: overrides.environment ?? 'PRODUCTION',
    settings: overrides.settings ?? {},
    secrets: overrides.secrets ?? { paymentsApiKey: fake.paymentsApiKey, webhookApiKey: WEBHOOK_API_KEY },
    apiBaseUrl: fake.baseUrl,
    trustedRootsPem: null,
    outbound: testOutbound,
  };
}
