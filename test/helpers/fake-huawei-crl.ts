// Moved to src/sandbox/fakes/huawei-crl.ts, beside the Huawei fake that serves it.
export * from '../../src/sandbox/fakes/huawei-crl.js';
