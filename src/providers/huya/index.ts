// Huya mini-programs as one StoreModule. There is no acknowledge step: answering Huya's
// callback with HTTP 200 is the acknowledgement, so it is sent only after the commit.
import { defineStore } from '../contract.js';
import { HuyaAccountSecretsSchema, HuyaAccountSettingsSchema } from './protocol/index.js';
import { createHuyaService, huyaAccessDuration, huyaPlayerTokenVerifier } from './flows.js';
import { huyaAccountInput, registerHuyaGraphql } from './graphql.js';
import { huyaCallback } from './http.js';

export const huya = defineStore({
  store: 'HUYA',
  key: 'huya',
  name: 'Huya',
  account: {
    settings: HuyaAccountSettingsSchema,
    secrets: HuyaAccountSecretsSchema,
    secretNames: ['extSecret'],
    input: huyaAccountInput,
  },
  productTypes: ['TIME_LIMITED', 'REVENUE_SHARE'],
  createFlows: (deps) => createHuyaService(deps),
  graphql: registerHuyaGraphql,
  callback: huyaCallback,
  hooks: { accessDuration: huyaAccessDuration, playerTokenVerifier: huyaPlayerTokenVerifier },
});
