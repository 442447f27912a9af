// `npm run build`: the server as one ESM file, dist/main.js, for `npm run start:prod`.
// One bundle instead of ~1,000 modules: Node 20's ESM loader resolved, read and linked each
// one at every start (half of a cold start's 0.9 s of module loading). Packages that load
// WebAssembly or other files next to their own code stay external, as do `pg`'s optional
// native bindings.
import { cpSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const external = [
  '@electric-sql/pglite',
  'pglite-prisma-adapter',
  '@prisma/*',
  'pg',
  'pg-native',
  // ~9 MB of GraphiQL, imported on the first GraphiQL request only (src/http/graphiql.ts).
  '@graphql-yoga/render-graphiql',
  '@graphql-yoga/render-graphiql/*',
];

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: ['src/main.ts'],
  outfile: 'dist/main.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external,
  // Bundled CommonJS dependencies call require(); ESM has none of its own.
  banner: { js: "import { createRequire as __zdCreateRequire } from 'node:module'; const require = __zdCreateRequire(import.meta.url);" },
  legalComments: 'none',
  logLevel: 'warning',
});
// The dashboard's static files, read next to the module (src/http/dashboard.ts).
cpSync('src/http/dashboard', 'dist/dashboard', { recursive: true });
