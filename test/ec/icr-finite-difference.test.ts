// The inverse chain rule checked against the loss itself, by finite differences in log-path space.
// u_p is dL/d(log v_p): the change of the loss when basis path p's value is scaled by e^delta and
// every other basis path keeps its value. The weight allocation (test/reference/ec-graph-step.ts,
// refWA) gives exactly that move of the weights (T fixed, log w moves by d with sum over q of d_e =
// delta [q = p] for every basis path q), so a central difference of the model's own loss along it
// must equal u_p whenever g_e = w_e dL/dw_e = sum of u over the basis paths through e holds on every
// non-T edge — whether or not the loss is invariant (it holds with eps > 0 BatchNorm too).
// The product's u (ECSGD's stage 'skU', free skeleton edges) and the reference's (refICR, all basis
// paths) are both compared with the difference, on every tiny graph of nets.ts.
import { describe, it, expect, beforeAll } from 'vitest';
import { ECSGD } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { refGraph } from '../reference/ec-graph.js';
import { refICR, refWA, edgeWeights, toTensors, pathValue } from '../reference/ec-graph-step.js';
import { GRAPHS, refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

// Small enough that no ReLU / LeakyReLU / max-pool input changes sign on these data (at 1e-2 one
// of the Concat net's paths crossed a kink: 2% off), large enough for the float32 loss (~3e-5 noise).
const DELTA = 1e-3;

describe('inverse chain rule = finite difference of the loss in log-path space', () => {
  for (const c of GRAPHS) {
    it(c.name, () => {
      const m = c.make(3);
      // created first: its unit-skeleton start rescales the weights, which are then replaced
      const opt = new ECSGD(m, { lr: 1e-3, trustRegion: false, skeletonFloor: 0 });
      const r = rng(29);
      m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.3 + r.next()))));
      const G = refGraph(refNet(m));
      const like = m.getWeights();
      const w0 = edgeWeights(G, like);
      const inSize = c.inputShape.reduce((a, b) => a * b, 1);
      const x = r.uniform(16 * inSize), y = r.int(16, 2);
      m.computeGradients(x, y);
      const g = Float64Array.from(w0, (w, e) => w * edgeWeights(G, m.getGradients())[e]);
      const uRef = refICR(G, g);
      // the product's u, read from the stages of one step (the step's weights are then put back)
      opt.step();
      const skU = opt.stages!.read('skU');
      const uProduct = new Map(opt.stages!.fsEdges.map((e, f) => [e, skU[f]]));
      // the loss after moving basis path p's value by a factor e^t (others fixed)
      const v = new Map([...G.Q].map(([e, p]) => [e, pathValue(p, w0)]));
      const lossAt = (p: number, t: number): number => {
        const vNew = new Map(v);
        vNew.set(p, v.get(p)! * Math.exp(t));
        m.setWeights(toTensors(G, refWA(G, w0, vNew), like).map((a) => Float32Array.from(a)));
        return m.computeGradients(x, y);
      };
      const scale = Math.max(...[...uRef.values()].map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3); // a loss that moves at all
      let checked = 0, onSkeleton = 0;
      for (const p of G.Q.keys()) {
        const fd = (lossAt(p, DELTA) - lossAt(p, -DELTA)) / (2 * DELTA);
        // float32 loss (~6e-8 relative) over 2 delta, plus the O(delta^2) term of a central difference
        const tol = 2e-3 * scale;
        expect(Math.abs(uRef.get(p)! - fd)).toBeLessThan(tol);
        if (uProduct.has(p)) { expect(Math.abs(uProduct.get(p)! - fd)).toBeLessThan(tol); onSkeleton++; }
        checked++;
      }
      expect(checked).toBe(G.Q.size);
      expect(onSkeleton).toBe(uProduct.size);
      expect(onSkeleton).toBeGreaterThan(0);
      opt.dispose(); m.dispose();
    });
  }
});
