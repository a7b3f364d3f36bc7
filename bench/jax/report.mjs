// Markdown tables (for docs/benchmarks.md) from bench/results/jax-node.json and jax-chromium.json.
//   node bench/jax/report.mjs [files...]
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const files = process.argv.slice(2).length ? process.argv.slice(2)
  : ['jax-node.json', 'jax-node-relaxed.json', 'jax-chromium.json', 'jax-chromium-relaxed.json'].map((f) => `${root}bench/results/${f}`).filter(existsSync);
const n0 = (x) => Math.round(x).toLocaleString('en-US');
const r2 = (x) => x.toFixed(2);
for (const f of files) {
  const rep = JSON.parse(readFileSync(f, 'utf8'));
  const engine = rep.browser ?? `Node ${rep.machine.node}`;
  console.log(`\n**${engine}** (${f.replace(root, '')}, ${rep.date.slice(0, 16).replace('T', ' ')} UTC, load average ${rep.machine.loadavgAtStart.map((x) => x.toFixed(1)).join(' / ')} at start, ${rep.machine.loadavgAtEnd?.map((x) => x.toFixed(1)).join(' / ') ?? '?'} at end; ecopt ${rep.versions.ecopt}, @jax-js/jax ${rep.versions['@jax-js/jax']})\n`);
  console.log('| model | threads (ecopt / jax-js) | ecopt samples/s | jax-js demo samples/s | jax-js jit samples/s | ecopt / demo | ecopt / jit | jit first step (trace+compile) | test acc ecopt / demo / jit | steps each |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const run of rep.runs) {
    if (!run) continue;
    const jt = run.jax.workerPool ? `${run.jax.workers ?? '?'} worker${run.jax.workers === 1 ? '' : 's'}` : '1 (no pool)';
    for (const res of Object.values(run.models)) {
      const e = res.trainers.ecopt, d = res.trainers['jax-js demo'], j = res.trainers['jax-js jit'];
      const s = (t) => `${n0(t.samplesPerSec.median)} [${n0(t.samplesPerSec.q1)}-${n0(t.samplesPerSec.q3)}]`;
      const q = (t) => `**${r2(t.ecoptRatio.median)}x** [${r2(t.ecoptRatio.q1)}-${r2(t.ecoptRatio.q3)}]`;
      const acc = (t) => (100 * t.testAccuracy).toFixed(2);
      console.log(`| ${res.model.split(' ')[0]} b${res.batch} | ${run.ecoptRuntime.threads}${run.ecoptRuntime.build === 'relaxed' ? ' (relaxed build)' : ''} / ${jt}${run.jax.relaxedSimd ? ', relaxed SIMD' : ''} | ${s(e)} | ${s(d)} | ${s(j)} | ${q(d)} | ${q(j)} | ${n0(j.firstStepMs)} ms | ${acc(e)} / ${acc(d)} / ${acc(j)} % | ${e.steps} |`);
    }
  }
}
