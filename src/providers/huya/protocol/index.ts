// The Huya mini-program protocol: callback signatures, prepaid levels, gift-revenue
// billing, the SDK's JWT. Imports only; see the files beside it.
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
