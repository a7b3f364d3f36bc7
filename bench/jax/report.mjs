// Markdown tables (for docs/benchmarks.md) from bench/jax/run.mjs's and bench/jax/browser.mjs's JSON
// (bench/results/jax-node.json, jax-chromium.json): render(report) returns one engine's table.
//   node bench/jax/report.mjs [files...]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const n0 = (x) => Math.round(x).toLocaleString('en-US');
const r2 = (x) => x.toFixed(2);

export function render(rep, file = '') {
  const out = [];
  const engine = rep.browser ?? `Node ${rep.machine.node}`;
  out.push(`**${engine}** (${file ? `${file}, ` : ''}${rep.date.slice(0, 16).replace('T', ' ')} UTC, load average ${rep.machine.loadavgAtStart.map((x) => x.toFixed(1)).join(' / ')} at start, ${rep.machine.loadavgAtEnd?.map((x) => x.toFixed(1)).join(' / ') ?? '?'} at end; ecopt ${rep.versions.ecopt}, @jax-js/jax ${rep.versions['@jax-js/jax']})`, '');
  out.push('| model | threads (ecopt / jax-js) | ecopt samples/s | jax-js demo samples/s | jax-js jit samples/s | ecopt / demo | ecopt / jit | jit first step (trace+compile) | test acc ecopt / demo / jit | steps each |');
  out.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const run of rep.runs) {
    if (!run) continue;
    const jt = run.jax.workerPool ? `${run.jax.workers ?? '?'} worker${run.jax.workers === 1 ? '' : 's'}` : '1 (no pool)';
    for (const res of Object.values(run.models)) {
      const e = res.trainers.ecopt, d = res.trainers['jax-js demo'], j = res.trainers['jax-js jit'];
      const s = (t) => `${n0(t.samplesPerSec.median)} [${n0(t.samplesPerSec.q1)}-${n0(t.samplesPerSec.q3)}]`;
      const q = (t) => `**${r2(t.ecoptRatio.median)}x** [${r2(t.ecoptRatio.q1)}-${r2(t.ecoptRatio.q3)}]`;
      const acc = (t) => (100 * t.testAccuracy).toFixed(2);
      out.push(`| ${res.model.split(' ')[0]} b${res.batch} | ${run.ecoptRuntime.threads}${run.ecoptRuntime.build === 'relaxed' ? ' (relaxed build)' : ''} / ${jt}${run.jax.relaxedSimd ? ', relaxed SIMD' : ''} | ${s(e)} | ${s(d)} | ${s(j)} | ${q(d)} | ${q(j)} | ${n0(j.firstStepMs)} ms | ${acc(e)} / ${acc(d)} / ${acc(j)} % | ${e.steps} |`);
    }
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2).length ? process.argv.slice(2)
    : ['jax-node.json', 'jax-node-relaxed.json', 'jax-chromium.json', 'jax-chromium-relaxed.json'].map((f) => `${root}bench/results/${f}`).filter(existsSync);
  for (const f of files) console.log(`\n${render(JSON.parse(readFileSync(f, 'utf8')), f.replace(root, ''))}`);
}
