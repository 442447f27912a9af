// The Huya mini-program protocol: callback signatures, prepaid levels, gift-revenue
// billing, the SDK's JWT. Imports only; see the files beside it.
export {
  HuyaAccountSecretsSchema,
  HuyaAccountSettingsSchema,
  getCallbackSigningData,
  huyaSignature,
  verifyHuyaCallback,
} from './callback.js';
export type { HuyaCallbackRequest } from './callback.js';
export {
  TimeLimitedConfigSchema,
  accessDurationForCallback,
  daysForLevel,
  extendAccess,
  goodsAccess,
  parseTimeLimitedConfig,
} from './prepaid.js';
export type { GoodsAccess, TimeLevel } from './prepaid.js';
export {
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
export type { AccessReason, MonthlyBill, RevenueShareConfig, RevenueTier } from './billing.js';
export { HuyaPlayerTokenError, verifyHuyaSdkJwt } from './jwt.js';

export { HUYA_TIME_ZONE } from './zoned-time.js';
