// Markdown for docs/benchmarks.md from bench/threads.mjs's JSON (--json FILE): the two-thread
// speedup of each model's training step (median and quartiles of the per-pair ratios, 1 and 2
// threads alternating in one process), whether the weights are bit-identical at 1 and 2 threads,
// batch-1 predict at 1 and 2 threads, and where a step's time goes at each thread count.
//   node bench/threads/report.mjs [bench/results/threads.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { median, quantile } from './models.mjs';

const ratios = (r) => `${median(r).toFixed(2)}x [${quantile(r, 0.25).toFixed(2)}-${quantile(r, 0.75).toFixed(2)}]`;
const int = (x) => Math.round(x).toLocaleString('en-US');
const load = (a) => a.map((v) => v.toFixed(1)).join(' ');

/** The training rows of one build: [{ key, model, batch, ms1, ms2, ratio, hashes }]. */
export function trainingRows(res, build = res.builds?.[0] ?? 'ecopt') {
  return Object.entries(res.scaling)
    .filter(([k]) => !k.startsWith('predict ') && k.endsWith(` ${build}`))
    .map(([k, v]) => ({ key: k.slice(0, -build.length - 1), ...v }));
}

/** Samples per second at 1 and 2 threads and the speedup for model `key` (e.g. 'mlp'), or undefined. */
export function modelScaling(res, key) {
  const r = res && trainingRows(res).find((x) => x.key === key);
  if (!r) return undefined;
  return { batch: r.batch, samplesPerSec: { 1: (1000 * r.batch) / median(r.ms1), 2: (1000 * r.batch) / median(r.ms2) }, speedup: median(r.ratio) };
}

export function render(res) {
  const build = res.builds?.[0] ?? 'ecopt';
  const out = [`${res.date.slice(0, 16).replace('T', ' ')} UTC, Node ${res.node}, ${res.cpu} x ${res.cores}, ` +
    `load ${load(res.loadAverageStart)} -> ${load(res.loadAverageEnd)}; ${res.pairs} pairs per model.`, ''];
  out.push('| training step | 1 thread, ms | 2 threads, ms | 2 threads, samples/s | speedup, median [quartiles] | weights at 1 and 2 threads |', '|---|---:|---:|---:|---|---|');
  for (const r of trainingRows(res, build)) {
    out.push(`| ${r.model}, batch ${r.batch} | ${median(r.ms1).toFixed(2)} | ${median(r.ms2).toFixed(2)} | ${int((1000 * r.batch) / median(r.ms2))} | ` +
      `${ratios(r.ratio)} | ${r.hashes.length === 1 ? `identical (sha256 ${r.hashes[0].slice(0, 12)})` : '**differ**'} |`);
  }
  const predict = Object.entries(res.scaling).filter(([k]) => k.startsWith('predict ') && k.endsWith(` ${build}`));
  if (predict.length) {
    out.push('', `Batch-1 \`predict()\` (median of 200 calls per block, ${res.predictPairs} pairs):`, '');
    out.push('| model | 1 thread, ms | 2 threads, ms | 1T / 2T time | outputs |', '|---|---:|---:|---|---|');
    for (const [, v] of predict) {
      out.push(`| ${v.model.replace(/, [^,]*$/, '')} | ${median(v.ms1).toFixed(3)} | ${median(v.ms2).toFixed(3)} | ${ratios(v.ratio)} | ${v.hashes.length === 1 ? 'identical' : '**differ**'} |`);
    }
  }
  const phases = Object.entries(res.phases ?? {}).filter(([k]) => k.endsWith(` ${build}`));
  if (phases.length) {
    out.push('', `Where a step goes (ms per step, median of ${res.phasePairs} blocks per thread count; timers around each layer's kernels, so the sum is a little above the untimed step):`, '');
    for (const [, v] of phases) {
      const names = [...new Set([...v[1], ...v[2]].flatMap((b) => Object.keys(b.phases)))];
      const med = (T, f) => median(v[T].map(f));
      const t1 = med(1, (b) => b.total), t2 = med(2, (b) => b.total);
      const cells = names.map((n) => [n, med(1, (b) => b.phases[n] ?? 0), med(2, (b) => b.phases[n] ?? 0)]).filter(([, a, b]) => a >= 0.005 || b >= 0.005);
      out.push(`**${v.model}, batch ${v.batch}**: step ${t1.toFixed(2)} -> ${t2.toFixed(2)} ms (${(t1 / t2).toFixed(2)}x), ${med(2, (b) => b.dispatches).toFixed(0)} pool dispatches per step at 2 threads.`, '');
      out.push('| phase | 1T ms | 2T ms | speedup | share of the 2T step |', '|---|---:|---:|---:|---:|');
      for (const [n, a, b] of cells) out.push(`| ${n} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(a / b).toFixed(2)}x | ${((100 * b) / t2).toFixed(1)}% |`);
      out.push('');
    }
  }
  return out.join('\n').trimEnd();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../results/threads.json', import.meta.url));
  console.log(render(JSON.parse(readFileSync(file, 'utf8'))));
}
