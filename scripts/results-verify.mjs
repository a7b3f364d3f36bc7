#!/usr/bin/env node
// npm run results:verify: re-runs a subset of the recorded runs of docs/results/*.json at the current
// checkout (apps/experiments/verify.ts, through the built dist/) and compares the SHA-256 of their
// weights; prints a table (row, expected, got, ok) and exits 1 on any mismatch. Build first.
//   node scripts/results-verify.mjs                 the default set (one row of every table, every optimizer; ~2.5 min on one thread)
//   node scripts/results-verify.mjs --full          the same rows, mnist-authors' 300-epoch runs to the end (~35 min)
//   node scripts/results-verify.mjs --only TEXT     only the checks whose file or run id contains TEXT
//   node scripts/results-verify.mjs --out FILE      also write the table (markdown) to FILE
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const { init } = await import('ecopt');
const { defaultVerifySet, verifyResults, verifyTable } = await import(join(root, 'dist/apps/experiments/verify.js'));
const rt = await init();
const only = opt('--only');
const items = defaultVerifySet(args.includes('--full')).filter((i) => only === undefined || i.file.includes(only) || (i.id ?? '').includes(only));
console.log(`results:verify: ${items.length} checks against docs/results/ (${rt.build} build, ${rt.threads} thread${rt.threads > 1 ? 's' : ''})`);
const t0 = performance.now();
const rows = await verifyResults(items, { dir: join(root, 'docs/results'), log: (s) => { if (/^(ok|MISMATCH)/.test(s)) console.log(s); } });
const table = verifyTable(rows);
console.log('\n' + table + `\n\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
const out = opt('--out');
if (out) writeFileSync(out, table + '\n');
process.exit(rows.every((r) => r.ok) ? 0 : 1);
