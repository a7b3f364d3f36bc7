// Checkpoints of the EC optimizers on graphs (issue 15, item 7): a run saved after a few steps and
// resumed with loadCheckpoint continues bit-identically to the run that never stopped, in modes
// 'graph' and 'blocks' (BatchNorm running statistics, momentum and Adam state per basis path, blocks).
import { describe, it, expect, beforeAll } from 'vitest';
import { ECMomentum, ECAdam, ECSGD, loadCheckpoint, type Model, type Optimizer } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { GRAPHS } from './nets.js';

beforeAll(async () => { await runtime(); });

const makers: [string, (m: Model) => Optimizer][] = [
  ['ECMomentum graph', (m) => new ECMomentum(m, { lr: 0.02, nesterov: true })],
  ['ECAdam graph', (m) => new ECAdam(m, { lr: 0.01, weightDecay: 1e-3 })],
  ['ECSGD graph, bnScaling none', (m) => new ECSGD(m, { lr: 0.02, bnScaling: 'none' })],
  ['ECMomentum blocks', (m) => new ECMomentum(m, { lr: 0.02, mode: 'blocks' })],
  ['ECAdam blocks, explicit blocks', (m) => new ECAdam(m, { lr: 0.01, mode: 'blocks', blocks: m.layers.some((l) => l.kind === 'Conv2D') ? [] : [[2, 4]] })],
];

describe('EC checkpoints on graphs resume bit-identically', () => {
  for (const c of [GRAPHS[0], GRAPHS[5]]) {
    for (const [name, make] of makers) {
      it(`${c.name}, ${name}`, () => {
        const inSize = c.inputShape.reduce((a, b) => a * b, 1);
        const r = rng(31);
        const batches = Array.from({ length: 6 }, () => ({ x: r.uniform(8 * inSize), y: r.int(8, 2) }));
        const a = c.make(4);
        const oa = make(a);
        for (const b of batches.slice(0, 3)) a.trainBatch(b.x, b.y, oa);
        const file = a.toSafetensors({ optimizer: oa });
        const { model: b, optimizer: ob } = loadCheckpoint(file);
        expect((ob as any).mode).toBe((oa as any).mode);
        expect(ob.options()).toEqual(oa.options());
        for (const z of batches.slice(3)) {
          expect(b.trainBatch(z.x, z.y, ob)).toBe(a.trainBatch(z.x, z.y, oa));
        }
        b.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
        for (const o of [oa, ob]) o.dispose();
        a.dispose(); b.dispose();
      });
    }
  }
});
