// Moved to src/sandbox/fakes/nowgg.ts, where the sandbox command uses it too.
export * from '../../src/sandbox/fakes/nowgg.js';
