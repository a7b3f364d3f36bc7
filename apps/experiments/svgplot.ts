// Minimal hand-written SVG line charts for experiment reports (no dependencies): linear or log
// axes, one polyline per series with markers, optional ± error bars, a legend.

export interface Series {
  name: string;
  x: number[];
  y: number[];
  /** Optional symmetric error (e.g. std over seeds) per point. */
  err?: number[];
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** Tick positions for x (default: nice numbers; with logX the distinct x values). */
  xTicks?: number[];
  /** Draw a horizontal reference line at this y (e.g. 0 for a gap plot). */
  hline?: number;
  width?: number;
  height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
const DASH = ['', '6 3', '2 2', '8 3 2 3'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * p;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(0);
  return String(Number(v.toPrecision(4)));
}

function linTicks(lo: number, hi: number): number[] {
  const step = niceStep(hi - lo || 1, 5);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const mults = Math.log10(hi / lo) > 3 ? [1] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mults) {
      const v = m * Math.pow(10, e);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
    }
  }
  return out;
}

/** Renders a line chart as a standalone SVG document. */
export function lineChart(o: ChartOptions): string {
  const W = o.width ?? 680, H = o.height ?? 420;
  const legendW = 190;
  const m = { l: 70, r: legendW + 20, t: 40, b: 55 };
  const pw = W - m.l - m.r, ph = H - m.t - m.b;
  const pts = o.series.flatMap((s) => s.x.map((x, i) => ({ x, y: s.y[i], e: s.err?.[i] ?? 0 })))
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.logX || p.x > 0) && (!o.logY || p.y > 0));
  let xlo = Math.min(...pts.map((p) => p.x)), xhi = Math.max(...pts.map((p) => p.x));
  let ylo = Math.min(...pts.map((p) => p.y - p.e)), yhi = Math.max(...pts.map((p) => p.y + p.e));
  if (o.hline !== undefined) { ylo = Math.min(ylo, o.hline); yhi = Math.max(yhi, o.hline); }
  if (!pts.length) { xlo = 0; xhi = 1; ylo = 0; yhi = 1; }
  if (o.logY) ylo = Math.max(ylo, Math.min(...pts.map((p) => p.y)) / 1.5);
  if (xlo === xhi) { xlo = o.logX ? xlo / 2 : xlo - 1; xhi = o.logX ? xhi * 2 : xhi + 1; }
  if (ylo === yhi) { ylo = o.logY ? ylo / 2 : ylo - 1; yhi = o.logY ? yhi * 2 : yhi + 1; }
  if (!o.logY) { const pad = (yhi - ylo) * 0.05; ylo -= pad; yhi += pad; }
  else { ylo /= 1.1; yhi *= 1.1; }
  if (o.logX) { xlo /= 1.15; xhi *= 1.15; }
  const tx = (x: number) => m.l + (o.logX ? Math.log(x / xlo) / Math.log(xhi / xlo) : (x - xlo) / (xhi - xlo)) * pw;
  const ty = (y: number) => m.t + ph - (o.logY ? Math.log(y / ylo) / Math.log(yhi / ylo) : (y - ylo) / (yhi - ylo)) * ph;
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const titleSize = Math.max(10, Math.min(15, Math.floor((W - 20) / (0.6 * o.title.length))));
  out.push(`<text x="${f(W / 2)}" y="22" text-anchor="middle" font-size="${titleSize}" font-weight="bold">${esc(o.title)}</text>`);
  // grid and ticks
  const xt = o.xTicks ?? (o.logX ? [...new Set(pts.map((p) => p.x))].sort((a, b) => a - b) : linTicks(xlo, xhi));
  const yt = o.logY ? logTicks(ylo, yhi) : linTicks(ylo, yhi);
  for (const v of xt) {
    if (v < xlo || v > xhi) continue;
    const x = tx(v);
    out.push(`<line x1="${f(x)}" y1="${m.t}" x2="${f(x)}" y2="${m.t + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${f(x)}" y="${m.t + ph + 18}" text-anchor="middle">${esc(fmtTick(v))}</text>`);
  }
  for (const v of yt) {
    if (v < ylo || v > yhi) continue;
    const y = ty(v);
    out.push(`<line x1="${m.l}" y1="${f(y)}" x2="${m.l + pw}" y2="${f(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 6}" y="${f(y + 4)}" text-anchor="end">${esc(fmtTick(v))}</text>`);
  }
  if (o.hline !== undefined && o.hline >= ylo && o.hline <= yhi) {
    out.push(`<line x1="${m.l}" y1="${f(ty(o.hline))}" x2="${m.l + pw}" y2="${f(ty(o.hline))}" stroke="#444" stroke-dasharray="4 3"/>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${f(m.l + pw / 2)}" y="${H - 14}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${f(m.t + ph / 2)}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  // series
  o.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const dash = DASH[Math.floor(k / COLORS.length) % DASH.length] || (k >= 5 ? '6 3' : '');
    const ok = s.x.map((x, i) => ({ x, y: s.y[i], e: s.err?.[i] }))
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!o.logX || p.x > 0) && (!o.logY || p.y > 0));
    if (ok.length > 1) {
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${ok.map((p) => `${f(tx(p.x))},${f(ty(Math.min(Math.max(p.y, ylo), yhi)))}`).join(' ')}"/>`);
    }
    for (const p of ok) {
      const x = tx(p.x), y = ty(Math.min(Math.max(p.y, ylo), yhi));
      if (p.e && p.e > 0) {
        const y1 = ty(Math.min(p.y + p.e, yhi)), y2 = ty(o.logY ? Math.max(p.y - p.e, ylo) : Math.max(p.y - p.e, ylo));
        out.push(`<line x1="${f(x)}" y1="${f(y1)}" x2="${f(x)}" y2="${f(y2)}" stroke="${color}" stroke-width="1.2"/>`);
        out.push(`<line x1="${f(x - 4)}" y1="${f(y1)}" x2="${f(x + 4)}" y2="${f(y1)}" stroke="${color}"/>`);
        out.push(`<line x1="${f(x - 4)}" y1="${f(y2)}" x2="${f(x + 4)}" y2="${f(y2)}" stroke="${color}"/>`);
      }
      out.push(`<circle cx="${f(x)}" cy="${f(y)}" r="${ok.length > 40 ? 1.5 : 3}" fill="${color}"/>`);
    }
    const ly = m.t + 10 + k * 20;
    const lx = m.l + pw + 16;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${color}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<circle cx="${lx + 12}" cy="${ly}" r="3" fill="${color}"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
