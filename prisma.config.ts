import { defineConfig } from 'prisma/config';

// Used by `prisma generate` only; migrations run through the wasm schema engine (src/db/migrate.ts).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost/unused' },
});
