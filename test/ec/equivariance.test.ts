// Equivariance of the whole-graph EC step (shared/docs/ec-opt-graphs.md sections 4.7, 5 and 7.5):
// from w and from a rescaled c(w), the same batches give w'_t = c(w_t) and equal losses, for gauge
// classes, stream classes alone, BN-read classes alone (BatchNorm eps 1e-30, i.e. 0 in float32) and
// the full group, with the trust region and momentum; plain SGD, EC-SGD with bnScaling 'none' under
// BN-read scalings, and EC-Adam under BN-read scalings must visibly fail (EC-Adam keeps gauge classes).
import { describe, it, expect, beforeAll } from 'vitest';
import { SGD, ECSGD, ECMomentum, ECAdam, type Model, type Optimizer } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { refGraph, type RefGraph } from '../reference/ec-graph.js';
import { GRAPHS, refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

type Which = 'gauge' | 'stream' | 'internal' | 'bn' | 'full';

/** Class factors exp(U[-1, 1]) on the chosen classes (a stream: a gauge class with several units; internal: one unit). */
function factors(G: RefGraph, which: Which, seed: number): Map<number, number> {
  const r = rng(seed);
  const units = new Map<number, number>();
  G.unit.forEach((u, v) => { if (u) units.set(G.cls[v], (units.get(G.cls[v]) ?? 0) + 1); });
  const c = new Map<number, number>();
  G.kind.forEach((k, K) => {
    const n = units.get(K) ?? 0;
    const pick = which === 'full' ? k !== 'fixed' : which === 'bn' ? k === 'bn-read'
      : k === 'gauge' && (which === 'gauge' || (which === 'stream' ? n > 1 : n === 1));
    if (pick) c.set(K, Math.exp(2 * r.next() - 1));
  });
  return c;
}

/** The group action: every edge times c(head class) / c(tail class), in float64, rounded once. */
function act(G: RefGraph, ws: Float32Array[], c: Map<number, number>): Float32Array[] {
  const out = ws.map((w) => w.slice());
  G.edges.forEach((e) => { out[e.tensor][e.index] = ws[e.tensor][e.index] * ((c.get(G.cls[e.head]) ?? 1) / (c.get(G.cls[e.tail]) ?? 1)); });
  return out;
}

interface Run { weights: number; loss: number }

/** K steps from w and from c(w); worst relative weight difference |w_B - c(w_A)| and loss difference. */
function run(make: () => Model, opt: (m: Model) => Optimizer, which: Which, K = 5): Run {
  const A = make();
  const r = rng(21);
  A.setWeights(A.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
  const B = make();
  const G = refGraph(refNet(A));
  const oa = opt(A), ob = opt(B); // unit-skeleton acts on A's weights; B then gets the rescaled copy
  const c = factors(G, which, 4);
  expect(c.size).toBeGreaterThan(0);
  B.setWeights(act(G, A.getWeights(), c));
  const inSize = (A as any).graph.shapes[0].reduce((a: number, b: number) => a * b, 1);
  let weights = 0, loss = 0;
  for (let t = 0; t < K; t++) {
    const x = r.uniform(16 * inSize), y = r.int(16, 2);
    const la = A.trainBatch(x, y, oa), lb = B.trainBatch(x, y, ob);
    loss = Math.max(loss, Math.abs(la - lb) / Math.max(1, Math.abs(la)));
    const want = act(G, A.getWeights(), c), got = B.getWeights();
    want.forEach((w, i) => w.forEach((v, j) => { weights = Math.max(weights, Math.abs(got[i][j] - v) / Math.max(1e-1, Math.abs(v))); }));
  }
  for (const z of [oa, ob]) z.dispose();
  A.dispose(); B.dispose();
  return { weights, loss };
}

const plain = GRAPHS[0]; // identity shortcuts, biases
const bn1 = GRAPHS[4], bn2 = GRAPHS[5];
const eps0 = (c: typeof bn1) => () => c.make(1, 1e-30);
const ecsgd = (m: Model) => new ECSGD(m, { lr: 0.05 });
const ecmom = (m: Model) => new ECMomentum(m, { lr: 0.02, trustRegion: 0.05 });

describe('whole-graph EC is equivariant where it must be', () => {
  const cases: [string, () => Model, (m: Model) => Optimizer, Which][] = [
    ['EC-SGD, gauge classes (no BN)', () => plain.make(1), ecsgd, 'gauge'],
    ['EC-SGD, stream classes alone (no BN)', () => plain.make(1), ecsgd, 'stream'],
    ['EC-Momentum + trust region, gauge classes (no BN)', () => plain.make(1), ecmom, 'gauge'],
    ['EC-Adam, gauge classes (no BN)', () => plain.make(1), (m) => new ECAdam(m, { lr: 0.01 }), 'gauge'],
    ['per-block EC-SGD, block-internal classes', () => plain.make(1), (m) => new ECSGD(m, { lr: 0.05, mode: 'blocks' }), 'internal'],
    ['per-block EC-Momentum + trust region, block-internal classes', () => plain.make(1), (m) => new ECMomentum(m, { lr: 0.02, trustRegion: 0.05, mode: 'blocks' }), 'internal'],
    ...[bn1, bn2].flatMap((c): [string, () => Model, (m: Model) => Optimizer, Which][] => [
      [`EC-SGD, stream classes alone: ${c.name}`, eps0(c), ecsgd, 'stream'],
      [`EC-SGD, BN-read classes alone: ${c.name}`, eps0(c), ecsgd, 'bn'],
      [`EC-SGD, full group: ${c.name}`, eps0(c), ecsgd, 'full'],
      [`EC-Momentum + trust region, full group: ${c.name}`, eps0(c), ecmom, 'full'],
      [`EC-Adam, gauge classes: ${c.name}`, eps0(c), (m) => new ECAdam(m, { lr: 0.01 }), 'gauge'],
    ]),
  ];
  for (const [name, make, opt, which] of cases) {
    it(name, () => {
      const r = run(make, opt, which);
      expect(r.weights).toBeLessThan(1e-4);
      expect(r.loss).toBeLessThan(1e-5);
    });
  }
});

describe('and visibly fails where the spec says it must', () => {
  const cases: [string, () => Model, (m: Model) => Optimizer, Which][] = [
    ['plain SGD, gauge classes', () => plain.make(1), (m) => new SGD(m, { lr: 0.05 }), 'gauge'],
    ['plain SGD, full group with BN', eps0(bn1), (m) => new SGD(m, { lr: 0.05 }), 'full'],
    ['EC-SGD with bnScaling none, BN-read classes', eps0(bn1), (m) => new ECSGD(m, { lr: 0.05, bnScaling: 'none' }), 'bn'],
    ['EC-SGD with bnScaling none, BN-read classes (conv)', eps0(bn2), (m) => new ECSGD(m, { lr: 0.05, bnScaling: 'none' }), 'bn'],
    ['EC-Adam, BN-read classes (Adam normalises the step)', eps0(bn1), (m) => new ECAdam(m, { lr: 0.01 }), 'bn'],
    ['per-block EC-SGD, stream classes (the blocks do not see the shortcuts)', () => plain.make(1), (m) => new ECSGD(m, { lr: 0.05, mode: 'blocks' }), 'stream'],
  ];
  for (const [name, make, opt, which] of cases) {
    it(name, () => {
      const r = run(make, opt, which);
      expect(r.weights).toBeGreaterThan(1e-2);
    });
  }
});

describe('BatchNorm eps > 0 breaks the BN-read symmetry at order eps/var (reported, not hidden)', () => {
  it('EC-SGD, BN-read classes, eps 1e-5 vs eps 1e-30', () => {
    const exact = run(eps0(bn1), ecsgd, 'bn');
    const drift = run(() => bn1.make(1, 1e-5), ecsgd, 'bn');
    console.log(`BN-read equivariance over 5 steps: weights ${exact.weights.toExponential(1)} with eps 1e-30, ${drift.weights.toExponential(1)} with eps 1e-5`);
    expect(exact.weights).toBeLessThan(1e-4);
    expect(drift.weights).toBeGreaterThan(5 * exact.weights); // the drift is there (measured 2.5e-5 vs 9e-7) ...
    expect(drift.weights).toBeLessThan(1e-1); // ... and small
  });
});
