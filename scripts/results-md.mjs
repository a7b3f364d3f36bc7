#!/usr/bin/env node
// npm run results:md: writes docs/results.md from docs/results.template.md and docs/results/*.json
// (apps/experiments/results-md.ts, through the built dist/). --check: exit 1 if docs/results.md differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { renderResultsMd } = await import(join(root, 'dist/apps/experiments/results-md.js'));
const text = renderResultsMd(readFileSync(join(root, 'docs/results.template.md'), 'utf8'), join(root, 'docs/results'));
const target = join(root, 'docs/results.md');
if (process.argv.includes('--check')) {
  const same = readFileSync(target, 'utf8') === text;
  console.log(same ? 'docs/results.md is up to date' : 'docs/results.md differs from the template and the results files: run npm run results:md');
  process.exit(same ? 0 : 1);
}
writeFileSync(target, text);
console.log(`wrote ${target}`);
