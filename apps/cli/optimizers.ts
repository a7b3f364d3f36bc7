// The --optimizer option: the command's lowercase ids, their default learning rates, and the
// optimizer each creates through the library's createOptimizer.
import { createOptimizer, type Optimizer, type OptimizerKind, type Sequential } from 'ecopt';

/** The --optimizer ids: lowercase, as the command has always taken them; the library's kinds are the class names. */
export const OPTIMIZER_KIND_OF = {
  sgd: 'SGD', momentum: 'Momentum', adam: 'Adam', ecsgd: 'ECSGD', ecmomentum: 'ECMomentum', ecadam: 'ECAdam', pathsgd: 'PathSGD',
} as const satisfies Record<string, OptimizerKind>;
export type OptimizerName = keyof typeof OPTIMIZER_KIND_OF;
export const OPTIMIZERS = Object.keys(OPTIMIZER_KIND_OF) as OptimizerName[];
export const DEFAULT_LR: Record<string, number> = { sgd: 0.1, ecsgd: 0.1, momentum: 0.05, ecmomentum: 0.05, pathsgd: 0.01, adam: 0.001, ecadam: 0.001 };

export function makeOpt(name: OptimizerName, model: Sequential, lr: number): Optimizer {
  const kind = OPTIMIZER_KIND_OF[name];
  // momentum 0.9 is also the classes' default; written out, as the command always passed it
  return createOptimizer(kind, model, kind === 'Momentum' || kind === 'ECMomentum' ? { lr, momentum: 0.9 } : { lr });
}
