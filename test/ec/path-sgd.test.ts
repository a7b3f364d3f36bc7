// Path-SGD on graphs (issue 15 item 4): the product's step w - lr dL/dw / gamma_e against gamma_e by
// brute force over every enumerated source->sink path (gamma_e = sum over paths through e of the
// product of the other edges' squares), on the tiny graphs with joins, Concat and BatchNorm.
import { describe, it, expect, beforeAll } from 'vitest';
import { PathSGD } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { refGraph, refPaths } from '../reference/ec-graph.js';
import { edgeWeights } from '../reference/ec-graph-step.js';
import { GRAPHS, refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

describe('Path-SGD on graphs against brute-force path norms', () => {
  for (const c of GRAPHS) {
    it(c.name, () => {
      const m = c.make(6);
      const r = rng(8);
      m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
      const G = refGraph(refNet(m));
      const w0 = edgeWeights(G, m.getWeights());
      const gamma = new Float64Array(G.edges.length);
      for (const p of refPaths(G)) {
        for (const e of p) gamma[e] += p.reduce((a, f) => (f === e ? a : a * w0[f] * w0[f]), 1);
      }
      const opt = new PathSGD(m, { lr: 0.05 });
      const inSize = c.inputShape.reduce((a, b) => a * b, 1);
      m.computeGradients(r.uniform(8 * inSize), r.int(8, 2));
      const g = edgeWeights(G, m.getGradients());
      opt.step();
      const w1 = edgeWeights(G, m.getWeights());
      let worst = 0, moved = 0;
      G.edges.forEach((_, e) => {
        const want = w0[e] - (0.05 * g[e]) / gamma[e];
        worst = Math.max(worst, Math.abs(w1[e] - want) / Math.max(0.1, Math.abs(want)));
        moved = Math.max(moved, Math.abs(w1[e] - w0[e]));
      });
      expect(worst).toBeLessThan(2e-7); // float32 (relative, floor 0.1)
      expect(moved).toBeGreaterThan(1e-3);
      opt.dispose(); m.dispose();
    });
  }
});
