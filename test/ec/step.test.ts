// Whole-graph EC step (shared/docs/ec-opt-graphs.md sections 4-5, 7.3-7.4, 7.7): the float64
// reference's inverse chain rule and weight allocation checked on their own, then the product's
// step (mode 'graph') against the reference after one step, for EC-SGD, EC-Momentum (Nesterov),
// EC-Adam, weight decay, trust region and skeleton floor, with and without BatchNorm scaling.
import { describe, it, expect, beforeAll } from 'vitest';
import { ECSGD, ECMomentum, ECAdam, type Model } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { refGraph, refPaths } from '../reference/ec-graph.js';
import { refICR, refWA, refStep, refState, edgeWeights, pathValue, type RefStepOptions } from '../reference/ec-graph-step.js';
import { GRAPHS, refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

const B = 8;
function batch(m: Model, seed: number) {
  const r = rng(seed);
  const inSize = (m as any).graph.shapes[0].reduce((a: number, b: number) => a * b, 1);
  return { x: r.uniform(B * inSize), y: r.int(B, 2) };
}

describe('float64 reference of the whole-graph step', () => {
  for (const c of GRAPHS) {
    it(`${c.name}: ICR identity g_e = sum of u over the basis paths through e on all m edges (T included); WA reproduces the path step`, () => {
      const m = c.make();
      const G = refGraph(refNet(m));
      const r = rng(7);
      const w = Float64Array.from(G.edges, () => (r.next() < 0.5 ? -1 : 1) * (0.3 + r.next()));
      // g = w dL/dw of a loss linear in the path values: g = A x for any x over all paths (a random g
      // would not be a gradient: gauge invariance ties the sums of g into and out of every class)
      const g = new Float64Array(G.edges.length);
      for (const p of refPaths(G)) { const x = r.next() - 0.5; for (const e of p) g[e] += x; }
      const u = refICR(G, g);
      const sum = new Float64Array(G.edges.length);
      for (const [f, p] of G.Q) for (const e of p) sum[e] += u.get(f)!;
      let worst = 0;
      G.edges.forEach((_, e) => { worst = Math.max(worst, Math.abs(sum[e] - g[e])); });
      expect(worst).toBeLessThan(1e-13); // every T edge too: the solve never looked at them
      const vNew = new Map([...G.Q].map(([e, p]) => [e, pathValue(p, w) * (1 - 0.05 * Math.sin(e))]));
      const w2 = refWA(G, w, vNew);
      for (const [e, p] of G.Q) expect(Math.abs(pathValue(p, w2) - vNew.get(e)!)).toBeLessThan(1e-14 * Math.max(1, Math.abs(vNew.get(e)!)));
      G.edges.forEach((_, e) => { if (G.frozen[e]) expect(w2[e]).toBe(w[e]); });
      m.dispose();
    });
  }
});

const CONFIGS: { name: string; make: (m: Model) => any; ref: RefStepOptions }[] = [
  { name: 'EC-SGD', make: (m) => new ECSGD(m, { lr: 0.05, trustRegion: false, skeletonFloor: false }), ref: { lr: 0.05 } },
  { name: 'EC-SGD, trust region 0.02, floor 0.1', make: (m) => new ECSGD(m, { lr: 0.5, trustRegion: 0.02 }), ref: { lr: 0.5, rho: 0.02, floor: 0.1 } },
  { name: 'EC-SGD, weight decay, bnScaling none', make: (m) => new ECSGD(m, { lr: 0.05, weightDecay: 0.1, trustRegion: false, skeletonFloor: false, bnScaling: 'none' }), ref: { lr: 0.05, weightDecay: 0.1, bnScaling: 'none' } },
  { name: 'EC-Momentum (Nesterov)', make: (m) => new ECMomentum(m, { lr: 0.05, nesterov: true, trustRegion: false, skeletonFloor: false }), ref: { lr: 0.05, rule: 'momentum', momentum: 0.9, nesterov: true } },
  { name: 'EC-Adam, weight decay', make: (m) => new ECAdam(m, { lr: 0.01, weightDecay: 0.05, trustRegion: false, skeletonFloor: false }), ref: { lr: 0.01, rule: 'adam', weightDecay: 0.05 } },
];

describe('product whole-graph step against the float64 reference', () => {
  for (const c of GRAPHS) {
    for (const cfg of CONFIGS) {
      it(`${c.name}, ${cfg.name}: 3 steps match the reference; T edges bit-identical`, () => {
        const m = c.make(3);
        const r = rng(5);
        // non-zero biases and BN betas, weights away from 0 (the reference divides by path values)
        m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
        const opt = cfg.make(m);
        expect(opt.mode).toBe('graph');
        const G = refGraph(refNet(m));
        const state = refState(G);
        let worst = 0, moved = 0, scale = 1;
        for (let step = 0; step < 3; step++) {
          const ws = m.getWeights();
          const { x, y } = batch(m, 11 + step);
          m.computeGradients(x, y);
          const gs = m.getGradients();
          const w0 = edgeWeights(G, ws);
          const ref = refStep(G, w0, edgeWeights(G, gs), cfg.ref, state);
          opt.step();
          const w1 = edgeWeights(G, m.getWeights());
          G.edges.forEach((_, e) => {
            if (G.frozen[e]) expect(w1[e]).toBe(w0[e]);
            const d = Math.abs(w1[e] - ref.w[e]) / Math.max(1e-2, Math.abs(ref.w[e]));
            worst = Math.max(worst, d);
            moved = Math.max(moved, Math.abs(w1[e] - w0[e]) / Math.max(1e-2, Math.abs(w0[e])));
          });
          scale = Math.min(scale, opt.lastStepScale);
          expect(Math.abs(opt.lastStepScale - ref.lrk / cfg.ref.lr)).toBeLessThan(1e-6);
          // the product then continues from its own float32 weights: feed them to the next reference step
        }
        // float32 against float64: 1.1e-7..1.7e-7 measured for the SGD/momentum rules, 3.4e-7..4.1e-7 for
        // Adam (relative, floor 1e-2), while the steps move weights by far more
        expect(worst).toBeLessThan(1e-6);
        expect(moved).toBeGreaterThan(1e-3);
        if (cfg.ref.rho) expect(scale).toBeLessThan(1); // the trust region did act
        opt.dispose();
        m.dispose();
      });
    }
  }
});

describe("init 'preserve' in mode 'graph'", () => {
  for (const c of GRAPHS) {
    it(`${c.name}: the function is kept, every T weight has |w| = 1, and the step still matches the reference`, () => {
      const m = c.make(3);
      const r = rng(17);
      m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
      const { x, y } = batch(m, 40);
      const before = m.computeGradients(x, y);
      const opt = new ECSGD(m, { lr: 0.02, init: 'preserve', trustRegion: false, skeletonFloor: false });
      const G = refGraph(refNet(m));
      const w0 = edgeWeights(G, m.getWeights());
      G.edges.forEach((_, e) => { if (G.frozen[e]) expect(Math.abs(Math.abs(w0[e]) - 1)).toBeLessThan(2e-7); });
      expect(Math.abs(m.computeGradients(x, y) - before)).toBeLessThan(1e-5 * Math.max(1, before));
      const ref = refStep(G, w0, edgeWeights(G, m.getGradients()), { lr: 0.02 }, refState(G));
      opt.step();
      const w1 = edgeWeights(G, m.getWeights());
      G.edges.forEach((_, e) => expect(Math.abs(w1[e] - ref.w[e]) / Math.max(1e-2, Math.abs(ref.w[e]))).toBeLessThan(1e-6));
      opt.dispose(); m.dispose();
    });
  }
});
