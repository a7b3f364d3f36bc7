// The optimizers the experiments compare, by experiment id ('sgd', 'ecsgd-preserve', ...): labels for
// tables and plots, and each id's optimizer and options, created with the library's createOptimizer.
import { createOptimizer, type Optimizer, type Model } from 'ecopt';

/**
 * Trust-region radius used with init 'preserve'. From a He-initialised deep net, 'preserve' keeps
 * tiny path values, dF/dv = g/v is huge and the trust region binds on every step (the lr then has
 * no effect: the step is rho * ||v||), so rho is the knob that matters; 0.001 trained best in a probe.
 */
export const PRESERVE_RHO = 0.001;
export const PRESERVE_LR = 0.01;

/** The optimizers of the chain studies (MLPs, the CNN). */
export type ChainOptimizerId = 'sgd' | 'momentum' | 'adam' | 'ecsgd' | 'ecsgd-preserve' | 'ecmomentum' | 'ecadam' | 'pathsgd';
/** ... and the EC modes of residual networks (resnet-study): whole graph or per block. */
export type OptimizerId = ChainOptimizerId | 'ecsgd-graph' | 'ecsgd-blocks' | 'ecmomentum-graph' | 'ecmomentum-blocks';

/** The optimizer ids that name an EC mode for graphs. */
export const GRAPH_MODE_IDS: readonly OptimizerId[] = ['ecsgd-graph', 'ecsgd-blocks', 'ecmomentum-graph', 'ecmomentum-blocks'];

export const OPTIMIZER_LABELS: Record<OptimizerId, string> = {
  sgd: 'SGD', momentum: 'Momentum', adam: 'Adam', ecsgd: 'EC-SGD', 'ecsgd-preserve': 'EC-SGD (preserve)',
  ecmomentum: 'EC-Momentum', ecadam: 'EC-Adam', pathsgd: 'Path-SGD',
  'ecsgd-graph': 'EC-SGD (whole graph)', 'ecsgd-blocks': 'EC-SGD (per block)', 'ecmomentum-graph': 'EC-Momentum (whole graph)', 'ecmomentum-blocks': 'EC-Momentum (per block)',
};

/** Creates an optimizer by experiment id (through the library's createOptimizer). EC optimizers use their defaults (trust region 0.1, skeleton floor 0.1). */
export function makeOptimizer(id: OptimizerId, model: Model, lr: number, extra: { trustRegion?: number } = {}): Optimizer {
  const tr = extra.trustRegion === undefined ? {} : { trustRegion: extra.trustRegion };
  switch (id) {
    case 'sgd': return createOptimizer('SGD', model, { lr });
    case 'momentum': return createOptimizer('Momentum', model, { lr, momentum: 0.9 });
    case 'adam': return createOptimizer('Adam', model, { lr });
    case 'ecsgd': return createOptimizer('ECSGD', model, { lr, ...tr });
    case 'ecsgd-preserve': return createOptimizer('ECSGD', model, { lr, init: 'preserve', trustRegion: extra.trustRegion ?? PRESERVE_RHO });
    case 'ecmomentum': return createOptimizer('ECMomentum', model, { lr, momentum: 0.9, ...tr });
    case 'ecadam': return createOptimizer('ECAdam', model, { lr, ...tr });
    case 'pathsgd': return createOptimizer('PathSGD', model, { lr });
    case 'ecsgd-graph': return createOptimizer('ECSGD', model, { lr, mode: 'graph', ...tr });
    case 'ecsgd-blocks': return createOptimizer('ECSGD', model, { lr, mode: 'blocks', ...tr });
    case 'ecmomentum-graph': return createOptimizer('ECMomentum', model, { lr, momentum: 0.9, mode: 'graph', ...tr });
    case 'ecmomentum-blocks': return createOptimizer('ECMomentum', model, { lr, momentum: 0.9, mode: 'blocks', ...tr });
  }
}
