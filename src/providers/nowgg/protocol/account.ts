// What a now.gg StoreAccount holds, validated at the edge so the rest of the provider can trust it.
// Optional fields accept null as "not set": GraphQL inputs store omitted fields as null.
import { z } from 'zod';
import { StoreAccountError, ValidationError } from '../../../platform/errors.js';
import type { StoreAccountConfig } from '../../contract.js';

export const nowggAccountSettingsSchema = z.object({
  /** nowStudio app id; when set, verified purchases and webhooks must carry it. */
  appId: z.string().min(1).nullish(),
  /** Android package name; when set, verified purchases and webhooks must carry it. */
  packageName: z.string().min(1).nullish(),
  /** Per-call timeout for the now.gg Payments API. */
  requestTimeoutMs: z.number().int().min(100).max(120_000).nullish(),
  /**
   * now.gg result codes of consumePurchase that mean "already consumed". now.gg documents
   * none, so the default is empty and "already consumed" is proven by re-verifying
   * (consumptionState 1). Add a code here once observed in production.
   */
  alreadyConsumedCodes: z.array(z.number().int()).nullish(),
  /** Same for acknowledgepurchase (evidence otherwise: acknowledgementState 1). */
  alreadyAcknowledgedCodes: z.array(z.number().int()).nullish(),
});
export type NowggAccountSettings = z.infer<typeof nowggAccountSettingsSchema>;

export const nowggAccountSecretsSchema = z.object({
  /** nowStudio > Credentials > Payments API Key; sent raw as the Authorization header. */
  paymentsApiKey: z.string().min(1),
  /** nowStudio > Webhook API Key; now.gg sends it raw as the Authorization header of webhooks. */
  webhookApiKey: z.string().min(1).nullish(),
});
export type NowggAccountSecrets = z.infer<typeof nowggAccountSecretsSchema>;

export interface NowggAccount {
  settings: NowggAccountSettings;
  secrets: NowggAccountSecrets;
}

/** Validates a store account's settings and secrets for now.gg. */
export function readNowggAccount(account: StoreAccountConfig): NowggAccount {
  const secrets = nowggAccountSecretsSchema.safeParse(account.secrets);
  if (!secrets.success) {
    throw new StoreAccountError(
      'STORE_CREDENTIALS_MISSING',
      `now.gg store account ${account.id} needs secrets.paymentsApiKey (and secrets.webhookApiKey to receive webhooks)`,
    );
  }
  const settings = nowggAccountSettingsSchema.safeParse(account.settings);
  if (!settings.success) {
    throw new ValidationError(
      `now.gg store account ${account.id} has invalid settings`,
      settings.error.issues.map((issue) => ({ path: ['settings', ...issue.path].join('.'), message: issue.message })),
    );
  }
  return { settings: settings.data, secrets: secrets.data };
}
