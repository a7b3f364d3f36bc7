// The small networks and optimizer settings of the determinism and golden-parity suites: an MLP
// (with PReLU) and a CNN (conv, LeakyReLU, max and average pool), and all 7 optimizers. Shared, so
// the golden fixtures and the cross-engine hashes describe the same runs.
import {
  Sequential, Dense, ReLU, PReLU, LeakyReLU, Conv2D, MaxPool2D, AvgPool2D, Flatten, SGD, Momentum, Adam, ECSGD, ECMomentum,
  ECAdam, PathSGD, type Optimizer,
} from '../src/index.js';

export type Mk = (m: Sequential) => Optimizer;
export const OPTS: [string, Mk][] = [
  ['SGD', (m) => new SGD(m, { lr: 0.05, weightDecay: 1e-4 })],
  ['Momentum', (m) => new Momentum(m, { lr: 0.02, nesterov: true })],
  ['AdamW', (m) => new Adam(m, { lr: 3e-3, weightDecay: 1e-2, decoupled: true })],
  ['ECSGD', (m) => new ECSGD(m, { lr: 0.02 })],
  ['ECMomentum', (m) => new ECMomentum(m, { lr: 0.01 })],
  ['ECAdam', (m) => new ECAdam(m, { lr: 3e-3 })],
  ['PathSGD', (m) => new PathSGD(m, { lr: 0.02 })],
];
export const NETS: [string, (seed: number) => Sequential, number][] = [
  ['MLP', (seed) => new Sequential([new Dense(12, 10), new ReLU(), new Dense(10, 7), new PReLU(), new Dense(7, 4)], { seed }), 12],
  ['CNN', (seed) => new Sequential([
    new Conv2D(1, 3, 3, { padding: 1 }), new LeakyReLU(0.1), new MaxPool2D(2), new Conv2D(3, 4, 2), new ReLU(), new AvgPool2D(2),
    new Flatten(), new Dense(4, 4),
  ], { seed, inputShape: [1, 6, 6] }), 36],
];

