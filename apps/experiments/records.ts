// What the experiments record: per-epoch and per-run records, a runner's report and the result of
// runExperiment (also what results.json holds).
import type { OptimizerId } from './optimizers.js';
import type { ExperimentOptions } from './options.js';

export interface EpochRecord { epoch: number; lr: number; trainLoss: number; testLoss: number; testAccuracy: number; seconds: number }

export interface RunRecord {
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
  /** EC optimizers: fraction of steps in which the trust region shrank the step, and the median shrink factor. */
  trustRegionActive?: number;
  trustRegionMedianScale?: number;
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
