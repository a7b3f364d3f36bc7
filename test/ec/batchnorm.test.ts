// BatchNorm in whole-graph EC (shared/docs/ec-opt-graphs.md section 5, tests 7.6): with eps = 0 (1e-30)
// the inverse-chain-rule u of the basis paths ending in a BN-read class sum to 0 (dF/dv is orthogonal
// to v there), and under unit-skeleton a pre-BN row takes scale-invariant SGD: w <- w - lr |w_row|^2 dL/dw.
import { describe, it, expect, beforeAll } from 'vitest';
import { ECSGD } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { refGraph } from '../reference/ec-graph.js';
import { refICR, edgeWeights } from '../reference/ec-graph-step.js';
import { GRAPHS, refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

describe('BatchNorm-read classes', () => {
  for (const c of GRAPHS.filter((g) => g.bn)) {
    it(`${c.name}: u sums to 0 over the basis paths that end in each BN-read class`, () => {
      const m = c.make(2, 1e-30);
      const r = rng(9);
      m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
      const G = refGraph(refNet(m));
      const inSize = c.inputShape.reduce((a, b) => a * b, 1);
      m.computeGradients(r.uniform(16 * inSize), r.int(16, 2));
      const w = edgeWeights(G, m.getWeights()), dw = edgeWeights(G, m.getGradients());
      const u = refICR(G, Float64Array.from(w, (x, e) => x * dw[e]));
      const sums = new Map<number, [number, number]>();
      for (const [e, p] of G.Q) {
        const K = G.cls[G.edges[p[p.length - 1]].head];
        if (G.kind[K] !== 'bn-read') continue;
        const [s, a] = sums.get(K) ?? [0, 0];
        sums.set(K, [s + u.get(e)!, a + Math.abs(u.get(e)!)]);
      }
      expect(sums.size).toBe(G.kind.filter((k) => k === 'bn-read').length);
      // float32 backprop through BN cancels (dx = (dy - mean dy - n mean(dy n)) / sigma): the sums
      // vanish to float32 noise relative to the size of all u (measured <= 1.7e-8; classes with u at all have sum |u| >= 1e-6 of it)
      const all = [...u.values()].reduce((a, x) => a + Math.abs(x), 0);
      let live = 0;
      for (const [K, [s, a]] of sums) {
        if (a > 1e-7 * all) live++; // a class behind ReLUs dead on the whole batch has u = 0
        expect(Math.abs(s)).toBeLessThan(1e-7 * all);
      }
      expect(live).toBeGreaterThanOrEqual(sums.size - 1);
      m.dispose();
    });
  }

  it('a pre-BN row under unit-skeleton: w <- w - lr |w_row|^2 dL/dw (scale-invariant SGD per row)', () => {
    const c = GRAPHS[4]; // stem Dense(3, 3, no bias) -> BatchNorm1D(3)
    const m = c.make(2, 1e-30);
    const r = rng(3);
    m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
    const opt = new ECSGD(m, { lr: 0.1, trustRegion: false, skeletonFloor: false });
    const w0 = m.getWeights()[0];
    m.computeGradients(r.uniform(16 * 3), r.int(16, 2));
    const g = m.getGradients()[0];
    opt.step();
    const w1 = m.getWeights()[0];
    for (let o = 0; o < 3; o++) {
      let n2 = 0;
      for (let i = 0; i < 3; i++) n2 += w0[o * 3 + i] ** 2;
      for (let i = 0; i < 3; i++) {
        const want = w0[o * 3 + i] - 0.1 * n2 * g[o * 3 + i];
        expect(Math.abs(w1[o * 3 + i] - want)).toBeLessThan(2e-7 * Math.max(1, Math.abs(want)));
        expect(w1[o * 3 + i]).not.toBe(w0[o * 3 + i]);
      }
    }
    opt.dispose(); m.dispose();
  });
});
