/**
 * Writes the generated spec artifacts: `schema/gradfuse-spec.schema.json` (the JSON Schema of
 * the spec format, from the codecs) and the ops table of `docs/spec.md` (between its
 * `<!-- ops:start -->` and `<!-- ops:end -->` markers). `test/spec/jsonSchema.test.ts` fails
 * when either is stale.
 *
 *     npx tsx scripts/jsonSchema.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SPEC_SCHEMA_ID, specJsonSchemaText, specOpsMarkdown } from '../src/spec/jsonSchema.js';

const root = fileURLToPath(new URL('..', import.meta.url));

writeFileSync(`${root}schema/${SPEC_SCHEMA_ID}`, specJsonSchemaText());

const docPath = `${root}docs/spec.md`;
const doc = readFileSync(docPath, 'utf8');
const table = /(<!-- ops:start -->\n)[\s\S]*?(<!-- ops:end -->)/;
if (!table.test(doc)) throw new Error('docs/spec.md has no <!-- ops:start --> ... <!-- ops:end --> markers');
writeFileSync(docPath, doc.replace(table, (_, start: string, end: string) => `${start}${specOpsMarkdown()}\n${end}`));

console.log(`wrote schema/${SPEC_SCHEMA_ID} and the ops table of docs/spec.md`);
