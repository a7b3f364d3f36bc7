// The whole-graph and per-block EC steps split their bulk passes (graph passes 3-5, chain passes)
// over the thread pool by rows: the weights must be bit-identical to one thread (pool attached vs
// detached), on layers above the per-thread split threshold (32768 elements), with BatchNorm.
import { describe, it, expect, beforeAll } from 'vitest';
import { init, getRuntime, Model, input, Dense, ReLU, Add, BatchNorm1D, ECMomentum, ECAdam, ECSGD, type Optimizer } from '../../src/index.js';
import { rng } from '../helpers.js';

function net(): Model {
  const x = input([64]);
  const h = new ReLU().apply(new Dense(64, 256).apply(x));
  const a = new ReLU().apply(new BatchNorm1D(192).apply(new Dense(256, 192, { bias: false }).apply(h)));
  const body = new BatchNorm1D(256).apply(new Dense(192, 256, { bias: false }).apply(a));
  return new Model({ inputs: x, outputs: new Dense(256, 10).apply(new ReLU().apply(new Add().apply([body, h]))), seed: 7 });
}

function run(make: (m: Model) => Optimizer): Float32Array[] {
  const m = net();
  const opt = make(m);
  const r = rng(12);
  for (let t = 0; t < 4; t++) m.trainBatch(r.uniform(32 * 64), r.int(32, 10), opt);
  const w = m.getWeights();
  opt.dispose(); m.dispose();
  return w;
}

describe('EC on graphs with threads', () => {
  beforeAll(async () => { await init({ threads: 2 }); });
  it('graph mode (SGD, momentum, Adam) and blocks mode: 2 threads give the bits of 1 thread', () => {
    const rt = getRuntime();
    expect(rt.threads).toBe(2);
    const makers: ((m: Model) => Optimizer)[] = [
      (m) => new ECSGD(m, { lr: 0.05 }),
      (m) => new ECMomentum(m, { lr: 0.02, weightDecay: 1e-3 }),
      (m) => new ECAdam(m, { lr: 1e-3 }),
      (m) => new ECMomentum(m, { lr: 0.02, mode: 'blocks' }),
    ];
    const two = makers.map(run);
    (rt.kernels as unknown as { pool_attach(p: number): void }).pool_attach(0); // every pass on this thread
    const one = makers.map(run);
    two.forEach((ws, k) => ws.forEach((w, i) => expect(w).toEqual(one[k][i])));
    const fresh = net();
    expect(two[0][0].some((v, i) => v !== fresh.getWeights()[0][i])).toBe(true); // the steps did move the weights
    fresh.dispose();
  });
});
