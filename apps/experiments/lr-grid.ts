// Learning-rate selection: a short run per grid point on a validation split (seed 0), the best
// validation accuracy wins; for 'ecsgd-preserve' the grid is over the trust-region radius instead.
import { runRecipe, type RunRecipe } from './recipe.js';
import { OPTIMIZER_LABELS, PRESERVE_LR, type OptimizerId } from './optimizers.js';

/** Applies a grid result: for 'ecsgd-preserve' the chosen value is the trust-region radius. */
export function applyChoice(id: OptimizerId, chosen: number, lrs: Record<string, number>, rhos: Record<string, number>): void {
  if (id === 'ecsgd-preserve') { lrs[id] = PRESERVE_LR; rhos[id] = chosen; } else lrs[id] = chosen;
}

/** The scores of every grid point (with the run's id and final weights' SHA-256) and the chosen value. */
export interface GridResult {
  optimizer: OptimizerId; grid: number[];
  scores: { lr: number; valAccuracy: number; valLoss: number; diverged: boolean; id?: string; weightsSha256?: string }[];
  chosen: number;
  recipes?: RunRecipe[];
}

/**
 * Picks the lr (for 'ecsgd-preserve': the trust-region radius, at lr PRESERVE_LR) with the best
 * validation accuracy; `recipe(value)` is the grid point's run (seed 0, evaluated on the validation split).
 */
export async function selectLr(id: OptimizerId, grid: number[], recipe: (value: number) => RunRecipe, log: (s: string) => void, tag: string): Promise<GridResult> {
  const scores: GridResult['scores'] = [];
  const recipes: RunRecipe[] = [];
  for (const v of grid) {
    const rc = recipe(v);
    recipes.push(rc);
    const r = await runRecipe(rc, log, { quiet: true, tag });
    const ok = !r.diverged && Number.isFinite(r.finalTestLoss);
    scores.push({ lr: v, valAccuracy: ok ? r.finalTestAccuracy : NaN, valLoss: r.finalTestLoss, diverged: r.diverged, id: r.id, weightsSha256: r.weightsSha256 });
  }
  let best = scores[0];
  for (const s of scores) if (!Number.isNaN(s.valAccuracy) && (Number.isNaN(best.valAccuracy) || s.valAccuracy > best.valAccuracy)) best = s;
  log(`[${tag}] ${id === 'ecsgd-preserve' ? `trust-region (rho) grid at lr ${PRESERVE_LR}` : 'lr grid'} ${OPTIMIZER_LABELS[id]}: ${scores.map((s) => `${s.lr} -> ${s.diverged ? 'diverged' : (s.valAccuracy * 100).toFixed(2) + '%'}`).join(', ')}  => ${id === 'ecsgd-preserve' ? 'rho' : 'lr'} ${best.lr}`);
  return { optimizer: id, grid, scores, chosen: best.lr, recipes };
}
