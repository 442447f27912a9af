// Prints the GraphQL schema (sorted) to schema.graphql; `--check` fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { buildSchema } from '../src/schema/index.js';
import { builtInStores } from '../src/providers/index.js';

const schema = buildSchema(builtInStores);

const printed = printSchema(schema) + '\n';
if (process.argv.includes('--check')) {
  const committed = readFileSync('schema.graphql', 'utf8');
  if (committed !== printed) {
    console.error('schema.graphql is stale: run `npm run schema:print` and commit it');
    process.exit(1);
  }
  console.log('schema.graphql is up to date');
} else {
  writeFileSync('schema.graphql', printed);
  console.log('wrote schema.graphql');
}
