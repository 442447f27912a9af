// Huawei HarmonyOS IAP Kit (and Game Service Kit miniGamePay) as one StoreModule.
import { defineStore } from '../contract.js';
import {
  acknowledgeHuaweiOrder,
  huaweiAccountSecretsSchema,
  huaweiAccountSettingsSchema,
  parseTrustedRootsPem,
} from './protocol/index.js';
import { createHuaweiService, huaweiAccessDuration } from './flows.js';
import { HUAWEI_SWEEP_TASK } from './sweep.js';
import { huaweiAccountInput, registerHuaweiGraphql } from './graphql.js';
import { huaweiCallback } from './http.js';

export const huawei = defineStore({
  store: 'HUAWEI',
  key: 'huawei',
  name: 'Huawei',
  account: {
    settings: huaweiAccountSettingsSchema,
    secrets: huaweiAccountSecretsSchema,
    secretNames: ['privateKeyPem'],
    input: huaweiAccountInput,
    trustedRoots: (pem) => void parseTrustedRootsPem(pem),
  },
  createFlows: (deps) => createHuaweiService(deps),
  graphql: registerHuaweiGraphql,
  callback: huaweiCallback,
  hooks: { accessDuration: huaweiAccessDuration },
  tasks: (flows) => ({
    kinds: { [HUAWEI_SWEEP_TASK]: flows.sweep.taskKind() },
    start: () => flows.sweep.ensureScheduled(),
  }),
  acknowledge: (account, request) => acknowledgeHuaweiOrder(account, request),
});
