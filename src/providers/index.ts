// Registers every store provider. Adding a store: one folder, one line here.
import { registerProvider } from './registry.js';
import { huyaProvider, HuyaAccountSecretsSchema, HuyaAccountSettingsSchema } from './huya/index.js';

registerProvider('HUYA', {
  provider: huyaProvider,
  settingsSchema: HuyaAccountSettingsSchema,
  secretsSchema: HuyaAccountSecretsSchema,
});
