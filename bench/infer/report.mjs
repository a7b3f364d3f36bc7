// Markdown tables for docs/benchmarks.md from bench/infer/run.mjs's JSON:
//   node bench/infer/report.mjs [bench/results/infer.json ...]
import { readFileSync } from 'node:fs';

const files = process.argv.slice(2);
if (!files.length) files.push(new URL('../results/infer.json', import.meta.url).pathname);
const n = (v) => (v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const r = (s) => `${s.median.toFixed(2)}x [${s.q1.toFixed(2)}-${s.q3.toFixed(2)}]`;
for (const f of files) {
  const res = JSON.parse(readFileSync(f, 'utf8'));
  console.log(`\n${f}: ${res.date}, Node ${res.node}, ${res.cpu} x ${res.cores}, load ${res.loadAverageStart.map((v) => v.toFixed(1)).join(' ')} -> ${res.loadAverageEnd.map((v) => v.toFixed(1)).join(' ')}; ${Object.entries(res.versions).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  console.log('| threads | net | batch | peer | latency ms, median [q1-q3] over all calls | peer / ecopt, median [q1-q3] over rounds | max abs diff vs ecopt |');
  console.log('|---|---|---:|---|---:|---:|---:|');
  for (const run of res.runs) for (const [net, m] of Object.entries(run.nets)) for (const [B, b] of Object.entries(m.batches)) for (const [label, p] of Object.entries(b.peers)) {
    const s = p.latencyMs;
    console.log(`| ${run.threads} | ${net} | ${B} | ${label} | ${n(s.median)} [${n(s.q1)}-${n(s.q3)}] | ${p.vsEcopt ? r(p.vsEcopt) : '1'} | ${b.check[label].maxAbsDiff.toExponential(1)} |`);
  }
}
