// What an experiment run can be asked for (ExperimentOptions: seeds, epochs, subsets, grids, ...) and
// the checks of those options.
import type { OptimizerId } from './optimizers.js';

export interface ExperimentOptions {
  /** Number of seeds (default 3). */
  seeds?: number;
  /** Epochs of the final runs (default depends on the experiment). */
  epochs?: number;
  /** Training subset size (first N samples of the training split). */
  limit?: number;
  /** Evaluate on only the first N test (and validation) samples. */
  testLimit?: number;
  /** Epochs per learning-rate grid point (default 2; 0 = skip the grid, use the default lr). */
  gridEpochs?: number;
  /** Output directory (default out/<name>); null = write nothing. */
  out?: string | null;
  /** fashion-width: hidden widths. */
  widths?: number[];
  /** unbalanced-init: rescaling ranges c. */
  cs?: number[];
  /** overhead: timed steps per optimizer (default 30 MLP, 10 CNN); mnist-cnn/overhead: 'cnn' or 'cnn-small'. */
  steps?: number;
  cnn?: 'cnn' | 'cnn-small';
  /** Restrict to these optimizers. */
  optimizers?: OptimizerId[];
  /** Progress output (default: stdout lines). */
  log?: (line: string) => void;
}

/** options.seeds (default 3), checked: a positive integer. */
export function checkSeeds(o: ExperimentOptions): number {
  const s = o.seeds ?? 3;
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`seeds must be a positive integer, got ${s}`);
  return s;
}
