// Draws bench/peers/run.mjs's JSON as a horizontal bar chart (log scale, samples/s) in plain SVG:
// chartSvg(data) returns the SVG text (bench/render.mjs writes docs/benchmarks.svg with it).
//   node bench/peers/chart.mjs [in = bench/results/peers.json] [out = docs/benchmarks.svg]
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (x) => (x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`);
const color = (id) => (id.startsWith('ecopt') ? (id === 'ecopt-sgd' ? '#1f6feb' : '#6ea8fe')
  : id.startsWith('tfjs-wasm') ? '#f28c28' : id.startsWith('tfjs-cpu') ? '#c9a227' : '#8b949e');

export function chartSvg(data) {
  const W = 900, labelW = 250, barX = labelW + 10, barW = 470, rowH = 24, barH = 16;
  const rates = data.workloads.flatMap((w) => w.peers.filter((p) => p.median).map((p) => p.median));
  const lo = 10 ** Math.floor(Math.log10(Math.min(...rates))), hi = 10 ** Math.ceil(Math.log10(Math.max(...rates)));
  const xOf = (v) => barX + (barW * Math.log10(v / lo)) / Math.log10(hi / lo);

  let y = 58;
  const parts = [];
  for (const w of data.workloads) {
    parts.push(`<text x="10" y="${y}" class="h">${esc(w.short)}: training samples/s (median of ${data.options.rounds} rounds; log scale)</text>`);
    y += 12;
    const top = y;
    const rows = w.peers;
    for (const p of rows) {
      const cy = y + rowH / 2;
      parts.push(`<text x="${labelW}" y="${cy + 4}" text-anchor="end">${esc(p.label)}</text>`);
      if (p.median) {
        const x1 = xOf(p.median);
        parts.push(`<rect x="${barX}" y="${cy - barH / 2}" width="${Math.max(1, x1 - barX).toFixed(1)}" height="${barH}" fill="${color(p.id)}"><title>${esc(p.label)}: ${fmt(p.median)} samples/s (min ${fmt(p.min)}, max ${fmt(p.max)})</title></rect>`);
        // min-max whisker
        parts.push(`<line x1="${xOf(p.min).toFixed(1)}" x2="${xOf(p.max).toFixed(1)}" y1="${cy}" y2="${cy}" stroke="#222" stroke-width="1"/>`);
        const note = p.id === 'ecopt-sgd' ? 'baseline' : p.id === 'ecopt-ecsgd' ? `EC/SGD step time ${ratio(p.ecoptOverPeer)}` : `ecopt ${ratio(p.ecoptOverPeer)}`;
        parts.push(`<text x="${(Math.max(x1, xOf(p.max)) + 6).toFixed(1)}" y="${cy + 4}">${fmt(p.median)}  <tspan class="r">(${esc(note)})</tspan></text>`);
      } else {
        const why = p.status === 'skipped' ? 'minutes per step, only with --slow' : p.error?.message ?? '';
        parts.push(`<text x="${barX + 4}" y="${cy + 4}" class="na">${esc(p.status)}${why ? `: ${esc(why.slice(0, 90))}` : ''}</text>`);
      }
      y += rowH;
    }
    // decade grid
    for (let v = lo; v <= hi * 1.0001; v *= 10) {
      const x = xOf(v).toFixed(1);
      parts.push(`<line x1="${x}" x2="${x}" y1="${top}" y2="${y}" class="g"/><text x="${x}" y="${y + 14}" text-anchor="middle" class="t">${v >= 1 ? Math.round(v).toLocaleString('en-US') : v}</text>`);
    }
    y += 44;
  }
  const m = data.machine;
  const title = `ecopt vs peers, training throughput (higher is better)`;
  const sub = `${m.cpu}, ${m.logicalCores} logical cores, Node ${m.node}, 1 thread each; ${data.started.slice(0, 10)}; whiskers: min-max over rounds; ratio = ecopt SGD / peer`;
  const H = y - 10;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">
  <style>.h{font-weight:600;font-size:13px}.g{stroke:#d0d7de;stroke-width:1}.t{fill:#57606a;font-size:11px}.r{fill:#57606a}.na{fill:#b35900;font-style:italic}</style>
  <rect width="100%" height="100%" fill="#fff"/>
  <text x="10" y="20" font-size="15" font-weight="700">${esc(title)}</text>
  <text x="10" y="38" class="t">${esc(sub)}</text>
  ${parts.join('\n')}
  </svg>
  `;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const inFile = process.argv[2] ?? `${root}bench/results/peers.json`;
  const outFile = process.argv[3] ?? `${root}docs/benchmarks.svg`;
  writeFileSync(outFile, chartSvg(JSON.parse(readFileSync(inFile, 'utf8'))));
  console.log(`wrote ${outFile}`);
}
