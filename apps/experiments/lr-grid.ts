// Learning-rate selection: a short run per grid point on a validation split (seed 0), the best
// validation accuracy wins; for 'ecsgd-preserve' the grid is over the trust-region radius instead.
import { trainRun, type RunSpec } from './train-run.js';
import { OPTIMIZER_LABELS, PRESERVE_LR, type OptimizerId } from './optimizers.js';

/** Applies a grid result: for 'ecsgd-preserve' the chosen value is the trust-region radius. */
export function applyChoice(id: OptimizerId, chosen: number, lrs: Record<string, number>, rhos: Record<string, number>): void {
  if (id === 'ecsgd-preserve') { lrs[id] = PRESERVE_LR; rhos[id] = chosen; } else lrs[id] = chosen;
}

/** The scores of every grid point and the chosen value. */
export interface GridResult { optimizer: OptimizerId; grid: number[]; scores: { lr: number; valAccuracy: number; valLoss: number; diverged: boolean }[]; chosen: number }

/** Picks the lr with the best validation accuracy after `epochs` epochs (seed 0). */
export async function selectLr(id: OptimizerId, grid: number[], base: Omit<RunSpec, 'optimizer' | 'lr' | 'seed' | 'epochs' | 'tag'> & { epochs: number; tag: string }): Promise<GridResult> {
  const scores: GridResult['scores'] = [];
  for (const lr of grid) {
    // 'ecsgd-preserve': the grid is over the trust-region radius rho (lr fixed, see PRESERVE_RHO)
    const r = id === 'ecsgd-preserve'
      ? await trainRun({ ...base, optimizer: id, lr: PRESERVE_LR, trustRegion: lr, seed: 0, quiet: true, tag: base.tag })
      : await trainRun({ ...base, optimizer: id, lr, seed: 0, quiet: true, tag: base.tag });
    const ok = !r.diverged && Number.isFinite(r.finalTestLoss);
    scores.push({ lr, valAccuracy: ok ? r.finalTestAccuracy : NaN, valLoss: r.finalTestLoss, diverged: r.diverged });
  }
  let best = scores[0];
  for (const s of scores) if (!Number.isNaN(s.valAccuracy) && (Number.isNaN(best.valAccuracy) || s.valAccuracy > best.valAccuracy)) best = s;
  base.log(`[${base.tag}] ${id === 'ecsgd-preserve' ? `trust-region (rho) grid at lr ${PRESERVE_LR}` : 'lr grid'} ${OPTIMIZER_LABELS[id]}: ${scores.map((s) => `${s.lr} -> ${s.diverged ? 'diverged' : (s.valAccuracy * 100).toFixed(2) + '%'}`).join(', ')}  => ${id === 'ecsgd-preserve' ? 'rho' : 'lr'} ${best.lr}`);
  return { optimizer: id, grid, scores, chosen: best.lr };
}
