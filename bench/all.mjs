// npm run bench:all: runs every benchmark of bench/suites.mjs one after the other (each in its own
// process, so each loads its own runtime and thread count), copies each JSON it writes to
// docs/benchmarks/<id>.json, then renders docs/benchmarks.md, docs/benchmarks.svg and the README's
// speed section (bench/render.mjs). A suite that fails keeps its previous JSON (the page shows its
// date) and makes the command exit 1 after the others ran.
//   node bench/all.mjs [--only id,id] [--skip id,id]
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SUITES } from './suites.mjs';
import { writeAll } from './render.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const list = (flag) => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1].split(',') : null; };
const only = list('--only'), skip = list('--skip') ?? [];
for (const id of [...(only ?? []), ...skip]) {
  if (!SUITES.some((s) => s.id === id)) { console.error(`bench:all: unknown suite '${id}' (suites: ${SUITES.map((s) => s.id).join(', ')})`); process.exit(2); }
}
const chosen = SUITES.filter((s) => (!only || only.includes(s.id)) && !skip.includes(s.id));
if (chosen.some((s) => s.benchDeps) && !existsSync(join(root, 'bench/node_modules/@jax-js/jax'))) {
  console.error('bench:all: the peers jax-js and onnxruntime-web are missing: run `cd bench && npm ci` first (or --skip jax-node,jax-chromium,infer)');
  process.exit(2);
}
if (!existsSync(join(root, 'dist/index.js'))) { console.error('bench:all: no dist/: run `npm run build` first'); process.exit(2); }

mkdirSync(join(root, 'bench/results'), { recursive: true });
mkdirSync(join(root, 'docs/benchmarks'), { recursive: true });
const failed = [];
const t0 = performance.now();
for (const [k, s] of chosen.entries()) {
  const out = join(root, 'bench/results', `${s.id}.json`);
  const argv = [join(root, s.script), ...s.args, s.outFlag, out];
  console.log(`\n=== [${k + 1}/${chosen.length}] ${s.id}: ${s.what}\n    node ${[s.script, ...s.args, s.outFlag, `bench/results/${s.id}.json`].join(' ')}   (load average ${loadavg().map((x) => x.toFixed(1)).join(' ')})`);
  const ts = performance.now();
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit' });
  const secs = ((performance.now() - ts) / 1000).toFixed(0);
  if (r.status === 0 && existsSync(out)) {
    copyFileSync(out, join(root, 'docs/benchmarks', `${s.id}.json`));
    console.log(`=== ${s.id}: done in ${secs} s`);
  } else {
    failed.push(s.id);
    console.log(`=== ${s.id}: FAILED (exit ${r.status ?? r.signal}) after ${secs} s; docs/benchmarks/${s.id}.json keeps the previous run`);
  }
}
for (const f of await writeAll()) console.log(`wrote ${f}`);
console.log(`\nbench:all: ${chosen.length - failed.length} of ${chosen.length} suites in ${((performance.now() - t0) / 60000).toFixed(1)} min${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
