// Moved to src/sandbox/fakes/huya.ts, where the sandbox command uses it too.
export * from '../../src/sandbox/fakes/huya.js';
