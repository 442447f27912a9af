// What a Huawei store account holds. The GraphQL layer validates input with these schemas;
// the provider reads accounts through readHuaweiAccount at request time.
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { StoreAccountError } from '../../../platform/errors.js';
import type { StoreAccountConfig } from '../../contract.js';

export const huaweiAccountSettingsSchema = z.object({
  /** AppGallery Connect app id; every payload's applicationId must equal it. */
  applicationId: z.string().trim().min(1),
  /** Server API credentials (AppGallery Connect → Users and permissions → API key). */
  issuerId: z.string().trim().min(1).optional(),
  keyId: z.string().trim().min(1).optional(),
});

function isPkcs8EcP256PrivateKey(pem: string): boolean {
  if (!pem.includes('-----BEGIN PRIVATE KEY-----')) return false;
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

export const huaweiAccountSecretsSchema = z.object({
  /** The API key's private key as downloaded from AppGallery Connect: PKCS#8 PEM, EC P-256. */
  privateKeyPem: z
    .string()
    .refine(isPkcs8EcP256PrivateKey, { message: 'privateKeyPem must be a PKCS#8 PEM EC P-256 private key' })
    .optional(),
});

export type HuaweiAccountSettings = z.infer<typeof huaweiAccountSettingsSchema>;
export type HuaweiAccountSecrets = z.infer<typeof huaweiAccountSecretsSchema>;

export interface HuaweiServerCredentials {
  issuerId: string;
  keyId: string;
  privateKeyPem: string;
}

export interface HuaweiAccount {
  applicationId: string;
  /** Null when the account cannot call Huawei's server API (then the client finishes purchases). */
  credentials: HuaweiServerCredentials | null;
}

/**
 * Reads an account's Huawei settings. Only structural checks here: the private key itself is
 * validated when saved (huaweiAccountSecretsSchema) and imported lazily by the API client.
 */
export function readHuaweiAccount(account: Pick<StoreAccountConfig, 'id' | 'settings' | 'secrets'>): HuaweiAccount {
  const settings = huaweiAccountSettingsSchema.safeParse(account.settings);
  if (!settings.success) {
    throw new StoreAccountError(
      'STORE_CREDENTIALS_MISSING',
      `Huawei store account ${account.id} has invalid settings: ${z.prettifyError(settings.error)}`,
    );
  }
  const { applicationId, issuerId, keyId } = settings.data;
  const privateKeyPem = account.secrets.privateKeyPem;
  const credentials =
    issuerId !== undefined && keyId !== undefined && privateKeyPem !== undefined && privateKeyPem.trim() !== ''
      ? { issuerId, keyId, privateKeyPem }
      : null;
  return { applicationId, credentials };
}
