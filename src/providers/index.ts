// Registers every store provider. Adding a store: one folder, one line here.
import { registerProvider } from './registry.js';
import { huyaProvider, HuyaAccountSecretsSchema, HuyaAccountSettingsSchema } from './huya/protocol/index.js';

registerProvider('HUYA', {
  provider: huyaProvider,
  settingsSchema: HuyaAccountSettingsSchema,
  secretsSchema: HuyaAccountSecretsSchema,
});

import { nowggAccountSecretsSchema, nowggAccountSettingsSchema, nowggProvider } from './nowgg/protocol/index.js';

registerProvider('NOWGG', {
  provider: nowggProvider,
  settingsSchema: nowggAccountSettingsSchema,
  secretsSchema: nowggAccountSecretsSchema,
});

import { huaweiAccountSecretsSchema, huaweiAccountSettingsSchema, huaweiProvider } from './huawei/protocol/index.js';

registerProvider('HUAWEI', {
  provider: huaweiProvider,
  settingsSchema: huaweiAccountSettingsSchema,
  secretsSchema: huaweiAccountSecretsSchema,
});
