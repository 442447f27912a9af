// Moved to src/sandbox/fakes/huawei.ts, where the sandbox command uses it too.
export * from '../../src/sandbox/fakes/huawei.js';
