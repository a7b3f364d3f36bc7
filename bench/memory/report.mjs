// Markdown for docs/benchmarks.md from bench/memory.mjs's JSON (bench/results/memory.json): bytes of
// wasm memory per parameter while training, next to the two minima, and the largest parts.
//   node bench/memory/report.mjs [bench/results/memory.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const mb = (b) => (b / 2 ** 20).toFixed(1);
const bp = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));

export function render(res) {
  const out = [`${res.date.slice(0, 16).replace('T', ' ')} UTC, Node ${res.node}, one thread (bytes do not depend on load or threads).`, ''];
  out.push('| model, batch | optimizer | parameters | MiB held | bytes / parameter | all-outputs minimum, B/p (x) | strict minimum, B/p (x) | largest parts (MiB) |');
  out.push('|---|---|---:|---:|---:|---:|---:|---|');
  let last = '';
  for (const r of res.rows) {
    const model = r.model === last ? '' : r.model;
    last = r.model;
    if (r.unavailable) { out.push(`| ${model} | ${r.optimizer} | unavailable: ${r.unavailable} | | | | | |`); continue; }
    const parts = Object.entries(r.byKind).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${mb(v)}`).join(', ');
    out.push(`| ${model} | ${r.optimizer} | ${model ? r.parameters.toLocaleString('en-US') : ''} | ${mb(r.bytes)} | ${bp(r.bytesPerParameter)} | ${bp(r.minimumPerParameter)} (${r.overMinimum.toFixed(2)}x) | ${bp(r.strictPerParameter)} (${r.overStrict.toFixed(2)}x) | ${parts} |`);
  }
  if (res.arena) out.push('', `The arena's linear memory ended at ${mb(res.arena.memoryBytes)} MiB (grown ${res.arena.grows} times; blocks of disposed models are reused); ${mb(res.arena.bytesInUseAfter)} MiB stayed in use after every model was disposed (the runtime's own blocks).`);
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../results/memory.json', import.meta.url));
  console.log(render(JSON.parse(readFileSync(file, 'utf8'))));
}
