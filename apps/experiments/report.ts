// The report of an experiment: markdown tables, mean ± std cells, the summary rows per optimizer and
// the per-epoch curves of the plots.
import { mean, std } from './stats.js';
import type { RunRecord } from './records.js';
import { armLabel } from './arms.js';
import type { Series } from './svgplot.js';

/** Accuracies as "mean ± std" in percent. */
export const pct = (xs: number[]) => `${(mean(xs) * 100).toFixed(2)} ± ${(std(xs) * 100).toFixed(2)}`;
/** Losses as "mean ± std" with 4 decimals (3 significant digits below 0.001, e.g. 2.51e-6 ± 3.2e-7). */
export const num4 = (xs: number[]) => (Math.abs(mean(xs)) >= 1e-3 || !Number.isFinite(mean(xs))
  ? `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`
  : `${mean(xs).toExponential(2)} ± ${std(xs).toExponential(1)}`);

/** A markdown table. */
export function mdTable(head: string[], rows: (string | number)[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** The arm of a run ('sgd', 'sgd@torch', ...; the optimizer id for runs without one). */
export const armOfRun = (r: RunRecord): string => r.arm ?? r.optimizer;

/** Short run references for a table cell: 's0 1a2b3c4d, s1 ...' (seed and the first 8 hex digits of the final weights' SHA-256). */
export const runRefs = (rs: RunRecord[]) => rs.map((r) => `s${r.seed} ${r.weightsSha256 ? r.weightsSha256.slice(0, 8) : '-'}`).join(', ');

/** The lr cell of an optimizer: the lr, and rho for a trust-region grid. */
export function lrLabel(id: string, lrs: Record<string, number>, rhos: Record<string, number>): string {
  return rhos[id] !== undefined ? `${lrs[id]} (rho ${rhos[id]})` : String(lrs[id]);
}

/** Per-epoch mean (± std over seeds) of a record field, one series per arm (or optimizer), from epoch `from` (1-based) on. */
export function curves(runs: RunRecord[], ids: string[], key: 'testAccuracy' | 'trainLoss', scale = 1, from = 1): Series[] {
  return ids.map((id) => {
    const rs = runs.filter((r) => armOfRun(r) === id);
    const E = Math.max(0, ...rs.map((r) => r.epochs.length));
    const x: number[] = [], y: number[] = [], err: number[] = [];
    for (let e = from - 1; e < E; e++) {
      const vals = rs.map((r) => r.epochs[e]?.[key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (!vals.length) continue;
      x.push(e + 1); y.push(mean(vals) * scale); err.push(std(vals) * scale);
    }
    // error bars (std over seeds) only when few curves and few epochs share the chart, otherwise they hide the curves
    return { name: armLabel(id), x, y, err: rs.length > 1 && ids.length <= 4 && x.length <= 40 ? err : undefined };
  });
}

/** One row per arm: label, lr, final and best-epoch accuracy, final loss, s/epoch, trust-region fraction, run references. */
export function summaryRows(runs: RunRecord[], ids: string[], lrs: Record<string, number>, rhos: Record<string, number> = {}) {
  return ids.map((id) => {
    const rs = runs.filter((r) => armOfRun(r) === id);
    const div = rs.filter((r) => r.diverged).length;
    return [
      armLabel(id), lrLabel(id, lrs, rhos), pct(rs.map((r) => r.finalTestAccuracy)),
      pct(rs.map((r) => Math.max(...r.epochs.map((e) => e.testAccuracy)))),
      num4(rs.map((r) => r.finalTrainLoss)),
      mean(rs.map((r) => r.seconds / Math.max(1, r.epochs.length))).toFixed(1) + (div ? ` (${div} diverged)` : ''),
      trFraction(rs),
      runRefs(rs),
    ];
  });
}

/** The fraction of steps the trust region shrank, over all runs' steps (mean over runs), or '-' for non-EC optimizers. */
export function trFraction(rs: RunRecord[]): string {
  if (!rs.length || rs[0].trustRegionActive === undefined) return '-';
  const f = mean(rs.map((r) => r.trustRegionActive!)) * 100;
  return f === 0 ? '0%' : f >= 10 ? `${f.toFixed(0)}%` : f >= 0.1 ? `${f.toFixed(2)}%` : `${f.toPrecision(2)}%`;
}

export const SUMMARY_HEAD = ['optimizer', 'lr', 'final test acc % (mean ± std)', 'best-epoch test acc %', 'final train loss', 's/epoch', 'steps trust-region-limited', 'runs (seed, weights SHA-256)'];
