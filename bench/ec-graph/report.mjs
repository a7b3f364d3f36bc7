// Markdown for docs/benchmarks.md from bench/ec-graph-overhead.mjs's JSON (bench/results/ec-graph.json):
// forward + backward of ResNet-20 and PlainNet-20 and each optimizer's update, with its share of a step.
//   node bench/ec-graph/report.mjs [bench/results/ec-graph.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ms = (x) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));

export function render(res) {
  const out = [`${res.date.slice(0, 16).replace('T', ' ')} UTC, Node ${res.node}, ${res.cpu} x ${res.cores}, load ${res.loadAverageStart.map((v) => v.toFixed(1)).join(' ')} -> ${res.loadAverageEnd.map((v) => v.toFixed(1)).join(' ')}; batch ${res.batch} of 3x32x32, ${res.threads} thread(s), median of ${res.rounds} interleaved rounds.`, ''];
  const opts = res.nets[0].updates.map((u) => u.optimizer);
  out.push(`| network | forward + backward | ${opts.join(' | ')} |`, `|---|---|${opts.map(() => '---').join('|')}|`);
  for (const n of res.nets) out.push(`| ${n.name} | ${ms(n.forwardBackwardMs)} ms | ${n.updates.map((u) => `${ms(u.updateMs)} ms (${(100 * u.shareOfStep).toFixed(2)}%)`).join(' | ')} |`);
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../results/ec-graph.json', import.meta.url));
  console.log(render(JSON.parse(readFileSync(file, 'utf8'))));
}
