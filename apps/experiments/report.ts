// The report of an experiment: markdown tables, mean ± std cells, the summary rows per optimizer and
// the per-epoch curves of the plots.
import { mean, std } from './stats.js';
import { OPTIMIZER_LABELS, type OptimizerId } from './optimizers.js';
import type { RunRecord } from './records.js';
import type { Series } from './svgplot.js';

/** Accuracies as "mean ± std" in percent. */
export const pct = (xs: number[]) => `${(mean(xs) * 100).toFixed(2)} ± ${(std(xs) * 100).toFixed(2)}`;
/** Losses as "mean ± std" with 4 decimals. */
export const num4 = (xs: number[]) => `${mean(xs).toFixed(4)} ± ${std(xs).toFixed(4)}`;

/** A markdown table. */
export function mdTable(head: string[], rows: (string | number)[][]): string {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** The lr cell of an optimizer: the lr, and rho for a trust-region grid. */
export function lrLabel(id: OptimizerId, lrs: Record<string, number>, rhos: Record<string, number>): string {
  return rhos[id] !== undefined ? `${lrs[id]} (rho ${rhos[id]})` : String(lrs[id]);
}

/** Per-epoch mean (± std over seeds) of a record field, one series per optimizer. */
export function curves(runs: RunRecord[], ids: OptimizerId[], key: 'testAccuracy' | 'trainLoss', scale = 1): Series[] {
  return ids.map((id) => {
    const rs = runs.filter((r) => r.optimizer === id);
    const E = Math.max(0, ...rs.map((r) => r.epochs.length));
    const x: number[] = [], y: number[] = [], err: number[] = [];
    for (let e = 0; e < E; e++) {
      const vals = rs.map((r) => r.epochs[e]?.[key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
      if (!vals.length) continue;
      x.push(e + 1); y.push(mean(vals) * scale); err.push(std(vals) * scale);
    }
    // error bars (std over seeds) only when few curves share the chart, otherwise they hide the curves
    return { name: OPTIMIZER_LABELS[id], x, y, err: rs.length > 1 && ids.length <= 4 ? err : undefined };
  });
}

export function summaryRows(runs: RunRecord[], ids: OptimizerId[], lrs: Record<string, number>, rhos: Record<string, number> = {}) {
  return ids.map((id) => {
    const rs = runs.filter((r) => r.optimizer === id);
    const div = rs.filter((r) => r.diverged).length;
    return [
      OPTIMIZER_LABELS[id], lrLabel(id, lrs, rhos), pct(rs.map((r) => r.finalTestAccuracy)),
      pct(rs.map((r) => Math.max(...r.epochs.map((e) => e.testAccuracy)))),
      num4(rs.map((r) => r.finalTrainLoss)),
      mean(rs.map((r) => r.seconds / Math.max(1, r.epochs.length))).toFixed(1) + (div ? ` (${div} diverged)` : ''),
      rs[0]?.trustRegionActive === undefined ? '-' : `${(mean(rs.map((r) => r.trustRegionActive!)) * 100).toFixed(0)}%`,
    ];
  });
}

export const SUMMARY_HEAD = ['optimizer', 'lr', 'final test acc % (mean ± std)', 'best-epoch test acc %', 'final train loss', 's/epoch', 'steps trust-region-limited'];
