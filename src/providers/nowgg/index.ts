// now.gg (and its multistore: xiaomi, onestore, amazon, huawei) as one StoreModule.
import { defineStore } from '../contract.js';
import { acknowledgeNowggPurchase, nowggAccountSecretsSchema, nowggAccountSettingsSchema } from './protocol/index.js';
import { createNowggService } from './flows.js';
import { nowggAccountInput, registerNowggGraphql } from './graphql.js';
import { nowggCallback } from './http.js';

export const nowgg = defineStore({
  store: 'NOWGG',
  key: 'nowgg',
  name: 'now.gg',
  account: {
    settings: nowggAccountSettingsSchema,
    secrets: nowggAccountSecretsSchema,
    secretNames: ['paymentsApiKey', 'webhookApiKey'],
    input: nowggAccountInput,
  },
  createFlows: (deps) => createNowggService(deps),
  graphql: registerNowggGraphql,
  callback: nowggCallback,
  async acknowledge(account, request) {
    await acknowledgeNowggPurchase(account, request);
  },
});
