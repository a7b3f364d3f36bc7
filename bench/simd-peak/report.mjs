// Markdown for docs/benchmarks.md from bench/simd-peak.mjs's JSON (bench/results/simd-peak.json): the
// register-only multiply-add loops, the GEMM's own tile and the clock estimate, plain and relaxed SIMD,
// one and two threads; then the product's GEMM at every training shape as a fraction of the best loop.
//   node bench/simd-peak/report.mjs [bench/results/simd-peak.json]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const f = (x) => x.toFixed(1);
const LOOPS = { chains4: '4 chains', chains8: '8 chains', chains10: '10 chains', chains12: '12 chains', tile4x8: '4x8 GEMM tile (loads included)' };

export function render(res) {
  const out = [`${res.date.slice(0, 16).replace('T', ' ')} UTC, Node ${res.node}, ${res.cpu} x ${res.cores}${res.loadAverageStart ? `, load ${res.loadAverageStart.map((v) => v.toFixed(1)).join(' ')} -> ${res.loadAverageEnd.map((v) => v.toFixed(1)).join(' ')}` : ''}.`, ''];
  const cols = [];
  for (const t of ['1 thread', '2 threads']) for (const b of ['simd', 'relaxed']) if (res.builds[b]?.[t]) cols.push([t, b]);
  out.push(`| loop (GFLOP/s, median [min-max]) | ${cols.map(([t, b]) => `${t}, ${b === 'simd' ? 'plain' : 'relaxed'}`).join(' | ')} |`);
  out.push(`|---|${cols.map(() => '---').join('|')}|`);
  for (const [k, label] of Object.entries(LOOPS)) {
    if (!res.builds.simd['1 thread'][k]) continue;
    out.push(`| ${label} | ${cols.map(([t, b]) => { const v = res.builds[b][t][k]; return v ? `${f(v.median)} [${f(v.min)}-${f(v.max)}]` : '-'; }).join(' | ')} |`);
  }
  const p = res.peak;
  out.push('', `Peak used below: the best plain-SIMD loop, **${f(p.wasmSimdBestLoopGFLOPs)} GFLOP/s** on one thread. Clock estimate ${p.clockGHzEstimate.toFixed(2)} GHz; ` +
    `128-bit theoretical (2 multiplies + 2 adds of 4 lanes per cycle) ${f(p.wasm128TheoreticalGFLOPs)} GFLOP/s; native AVX-512 theoretical ${f(p.nativeAVX512TheoreticalGFLOPs)} GFLOP/s.`);
  const two = res.builds.simd['2 threads'];
  if (two) {
    const best1 = Math.max(...Object.keys(LOOPS).map((k) => res.builds.simd['1 thread'][k]?.median ?? 0));
    const best2 = Math.max(...Object.keys(LOOPS).map((k) => two[k]?.median ?? 0));
    out.push(`Two threads on the best loop: ${f(best2)} GFLOP/s, ${(best2 / best1).toFixed(2)}x one thread.`);
  }
  out.push('', 'The product\'s GEMM (release build, one thread) at the training shapes:', '');
  out.push('| shape | kind | M x N x K | GFLOP/s, median [min-max] | of peak |', '|---|---|---|---|---:|');
  for (const g of res.gemm) out.push(`| ${g.name} | ${g.kind} | ${g.M} x ${g.N} x ${g.K} | ${f(g.GFLOPs.median)} [${f(g.GFLOPs.min)}-${f(g.GFLOPs.max)}] | ${(100 * g.fractionOfBestLoop).toFixed(0)}% |`);
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../results/simd-peak.json', import.meta.url));
  console.log(render(JSON.parse(readFileSync(file, 'utf8'))));
}
