import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents from the committed schema.graphql (kept in sync by test/schema.test.ts):
// for the tests, and for the TypeScript client example (examples/typescript-client).
const clientPreset = {
  preset: 'client',
  config: {
    scalars: { DateTime: 'string', BigInt: 'string', JSON: 'unknown' },
    enumsAsTypes: true,
    useTypeImports: true,
  },
  presetConfig: { fragmentMasking: false },
} as const;

const config: CodegenConfig = {
  schema: 'schema.graphql',
  ignoreNoDocuments: true,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/gql/': { ...clientPreset, documents: ['test/**/*.ts', '!test/gql/**'] },
    'examples/typescript-client/gql/': { ...clientPreset, documents: ['examples/typescript-client/src/**/*.ts'] },
  },
};
export default config;
