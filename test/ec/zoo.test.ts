// ResNet-8 and PlainNet-8 (src/zoo/resnet.ts, BatchNorm, projections) train with the EC optimizers
// on graphs: a short run on one fixed batch must bring the loss well down, in modes 'graph' and 'blocks'.
import { describe, it, expect, beforeAll } from 'vitest';
import { resnet, plainnet, ECSGD, ECMomentum, ECAdam, SGD, type Model, type Optimizer } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';

beforeAll(async () => { await runtime(); });

const nets: [string, () => Model][] = [
  ['ResNet-8', () => resnet({ depth: 8, widths: [4, 6, 8], inputShape: [3, 8, 8], classes: 3, seed: 1 })],
  ['PlainNet-8', () => plainnet({ depth: 8, widths: [4, 6, 8], inputShape: [3, 8, 8], classes: 3, seed: 1 })],
];
const opts: [string, (m: Model) => Optimizer][] = [
  ['ECSGD graph', (m) => new ECSGD(m, { lr: 0.05 })],
  ['ECMomentum graph', (m) => new ECMomentum(m, { lr: 0.02 })],
  ['ECAdam graph', (m) => new ECAdam(m, { lr: 0.01 })],
  ['ECMomentum blocks (bnRule paper)', (m) => new ECMomentum(m, { lr: 0.02, mode: 'blocks' })],
  ['ECAdam blocks (bnRule paper)', (m) => new ECAdam(m, { lr: 0.01, mode: 'blocks' })],
  ['SGD (baseline)', (m) => new SGD(m, { lr: 0.05 })],
];

describe('zoo networks train with EC on graphs', () => {
  for (const [nn, makeNet] of nets) {
    for (const [on, makeOpt] of opts) {
      it(`${nn}, ${on}`, () => {
        const m = makeNet();
        const opt = makeOpt(m);
        const r = rng(2);
        const x = r.uniform(24 * 3 * 64), y = r.int(24, 3);
        const first = m.trainBatch(x, y, opt);
        let last = first;
        for (let i = 0; i < 40; i++) last = m.trainBatch(x, y, opt);
        expect(Number.isFinite(last)).toBe(true);
        expect(last).toBeLessThan(0.5 * first);
        opt.dispose(); m.dispose();
      });
    }
  }
});
