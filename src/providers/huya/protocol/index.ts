// Huya mini-program provider. There is no acknowledge step: answering Huya's callback
// with HTTP 200 is the acknowledgement, so the core must answer only after it committed.
import { Store } from '../../../generated/prisma/enums.js';
import type { StoreProvider } from '../../contract.js';

export const huyaProvider: StoreProvider = { store: Store.HUYA };

export {
  DEFAULT_CALLBACK_TOLERANCE_SECONDS,
  GetSigningKeyOrder,
  HUYA_CALLBACK_FIELDS,
  HuyaAccountSecretsSchema,
  HuyaAccountSettingsSchema,
  getCallbackSigningData,
  huyaSignature,
  parseHuyaAccount,
  verifyHuyaCallback,
} from './callback.js';
export type {
  HuyaAccount,
  HuyaAccountSecrets,
  HuyaAccountSettings,
  HuyaCallback,
  HuyaCallbackField,
  HuyaCallbackFields,
  HuyaCallbackRequest,
  VerifiedHuyaCallback,
  VerifyCallbackOptions,
} from './callback.js';
export {
  MS_PER_DAY,
  TimeLimitedConfigSchema,
  accessDurationForCallback,
  daysForLevel,
  extendAccess,
  goodsAccess,
  parseTimeLimitedConfig,
} from './prepaid.js';
export type { GoodsAccess, TimeLevel } from './prepaid.js';
export {
  RevenueShareConfigSchema,
  RevenueTiersSchema,
  accessDecision,
  arrearsBeans,
  monthBounds,
  monthKey,
  monthlyBill,
  monthlyFee,
  parseRevenueShareConfig,
  revenueShareConfigToJson,
  revenueTiersToJson,
  tierFor,
} from './billing.js';
export type {
  AccessDecision,
  AccessReason,
  MonthlyBill,
  RevenueShareConfig,
  RevenueShareMonthState,
  RevenueTier,
} from './billing.js';
export { HuyaPlayerTokenError, verifyHuyaSdkJwt } from './jwt.js';
export type { HuyaSdkIdentity, VerifySdkJwtOptions } from './jwt.js';
export { HUYA_TIME_ZONE } from './zoned-time.js';
