// What an experiment run can be asked for (ExperimentOptions: seeds, epochs, subsets, grids, ...) and
// the checks of those options.
import { OPTIMIZER_LABELS, GRAPH_MODE_IDS, type ChainOptimizerId } from './optimizers.js';
import { parseArm } from './arms.js';

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
  /** resnet-study: network depths (8, 20). */
  depths?: number[];
  /** Restrict to these optimizers, or arms (optimizer@start, see arms.ts) where the experiment has them (mnist-authors, fashion-width). */
  optimizers?: string[];
  /** Resumable studies: take finished runs from <out>/runs.jsonl and append each new one (mnist-authors always does). */
  resume?: boolean;
  /** Resumable studies (resnet-study): train only runs k, k + n, k + 2n, ... of the plan, [k, n] with 0 <= k < n, so n processes can share one ledger. */
  shard?: [number, number];
  /** Train nothing: report the runs finished in <out>/runs.jsonl (mnist-authors). */
  reportOnly?: boolean;
  /** Progress output (default: stdout lines). */
  log?: (line: string) => void;
}

/** options.seeds (default 3), checked: a positive integer. */
export function checkSeeds(o: ExperimentOptions): number {
  const s = o.seeds ?? 3;
  if (!Number.isInteger(s) || s < 1) throw new RangeError(`seeds must be a positive integer, got ${s}`);
  return s;
}

/** options.optimizers (or `def`) as plain optimizer ids; an arm with a start other than 'he' is refused (RangeError). */
export function plainOptimizers(o: ExperimentOptions, def: ChainOptimizerId[]): ChainOptimizerId[] {
  return (o.optimizers ?? def).map((id) => {
    const a = parseArm(id);
    if (a.start !== 'he' || !(id in OPTIMIZER_LABELS)) throw new RangeError(`this experiment takes optimizer ids (${Object.keys(OPTIMIZER_LABELS).join(', ')}), not arms like '${id}'`);
    if (GRAPH_MODE_IDS.includes(a.optimizer)) throw new RangeError(`'${id}' names an EC mode for residual networks (resnet-study); this experiment trains chains: use ecsgd or ecmomentum`);
    return a.optimizer as ChainOptimizerId;
  });
}
