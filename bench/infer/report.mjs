// Markdown tables for docs/benchmarks.md from bench/infer/run.mjs's JSON (bench/results/infer.json):
// render(result) returns the latency table with every peer's ratio to ecopt.
//   node bench/infer/report.mjs [bench/results/infer.json ...]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const n = (v) => (v < 1 ? v.toFixed(3) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));
const r = (s) => `${s.median.toFixed(2)}x [${s.q1.toFixed(2)}-${s.q3.toFixed(2)}]`;

export function render(res, file = '') {
  const out = [`${file ? `${file}: ` : ''}${res.date.slice(0, 16).replace('T', ' ')} UTC, Node ${res.node}, ${res.cpu} x ${res.cores}, load ${res.loadAverageStart.map((v) => v.toFixed(1)).join(' ')} -> ${res.loadAverageEnd.map((v) => v.toFixed(1)).join(' ')}; ${Object.entries(res.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`, ''];
  out.push('| threads | net | batch | peer | latency ms, median [q1-q3] over all calls | peer / ecopt, median [q1-q3] over rounds | max abs diff vs ecopt |');
  out.push('|---|---|---:|---|---:|---:|---:|');
  for (const run of res.runs) for (const [net, m] of Object.entries(run.nets)) for (const [B, b] of Object.entries(m.batches)) for (const [label, p] of Object.entries(b.peers)) {
    const s = p.latencyMs;
    out.push(`| ${run.threads} | ${net} | ${B} | ${label} | ${n(s.median)} [${n(s.q1)}-${n(s.q3)}] | ${p.vsEcopt ? r(p.vsEcopt) : '1'} | ${b.check[label].maxAbsDiff.toExponential(1)} |`);
  }
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (!files.length) files.push(fileURLToPath(new URL('../results/infer.json', import.meta.url)));
  for (const f of files) console.log(`\n${render(JSON.parse(readFileSync(f, 'utf8')), f)}`);
}
