import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'src/generated/', 'test/gql/', 'examples/typescript-client/gql/', '.data/', 'scripts/tmp/', 'bench/results/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/context.js'], importNames: ['pothosPrisma'], message: 'Only schema/builder.ts and app.ts read the Prisma client from the context.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/schema/builder.ts', 'src/app.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
