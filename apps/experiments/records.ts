// What the experiments record: per-epoch and per-run records, a runner's report and the result of
// runExperiment (also what results.json holds).
import type { OptimizerId } from './optimizers.js';
import type { ExperimentOptions } from './options.js';

export interface EpochRecord {
  epoch: number; lr: number; trainLoss: number; testLoss: number; testAccuracy: number; seconds: number;
  /** SHA-256 of the weights after this epoch (little-endian float32 bytes of getWeights()). */
  weightsSha256?: string;
  /** EC optimizers: fraction of this epoch's steps that the trust region shrank. */
  trustRegionActive?: number;
}

export interface RunRecord {
  /** Run id, unique in its results file, e.g. 'mnist-mlp/ecsgd/s0' (recipe runs). */
  id?: string;
  /** Optimizer and starting point, e.g. 'sgd', 'sgd@torch', 'sgd@he+unit' (recipe runs; see arms.ts). */
  arm?: string;
  /** Everything needed to run it again (recipe.ts); results:verify replays it. */
  recipe?: unknown;
  /** The commit that ran it (provenance.ts). */
  commit?: string;
  optimizer: OptimizerId;
  lr: number;
  seed: number;
  epochs: EpochRecord[];
  finalTestAccuracy: number;
  finalTestLoss: number;
  finalTrainLoss: number;
  diverged: boolean;
  error?: string;
  seconds: number;
  /** SHA-256 of the weights after optimizer creation (and rescaling), before the first step, and after the last step. */
  initialWeightsSha256?: string;
  weightsSha256?: string;
  /** EC optimizers: fraction of steps in which the trust region shrank the step, and the median shrink factor. */
  trustRegionActive?: number;
  trustRegionMedianScale?: number;
  trustRegionSteps?: number;
  trustRegion?: number;
  [k: string]: unknown;
}

export interface ExperimentResult {
  experiment: string;
  description: string;
  command: string;
  config: Record<string, unknown>;
  /** Markdown table (also printed). */
  table: string;
  data: Record<string, unknown>;
  files: string[];
  seconds: number;
}

/** One experiment: runs it and returns its description, config, table, data and SVG plots. */
export type Runner = (o: ExperimentOptions, log: (s: string) => void) => Promise<{
  description: string; config: Record<string, unknown>; table: string; data: Record<string, unknown>; svgs: Record<string, string>;
}>;
