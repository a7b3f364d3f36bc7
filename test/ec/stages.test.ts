// The stages of the whole-graph EC step (issue 15 item 5), each checked on its own output against
// the float64 reference after one product step: path-value chains (phi per unit), BatchNorm scaling
// (s per unit), the inverse chain rule (u of the free skeleton edges), the path-space step (v and
// step of the free skeleton paths), the ratios with the skeleton floor (R, rho per unit), and the
// weight allocation (weights, in step.test.ts).
import { describe, it, expect, beforeAll } from 'vitest';
import { ECSGD } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { refGraph } from '../reference/ec-graph.js';
import { refStep, refState, edgeWeights, pathValue } from '../reference/ec-graph-step.js';
import { GRAPHS, refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1e-3, Math.abs(b));

describe('whole-graph EC stages against the float64 reference', () => {
  for (const c of GRAPHS) {
    it(c.name, () => {
      const m = c.make(5, 1e-30);
      const r = rng(13);
      m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
      const opt = new ECSGD(m, { lr: 0.5, trustRegion: false, skeletonFloor: 0.9 });
      const G = refGraph(refNet(m));
      const w0 = edgeWeights(G, m.getWeights());
      const inSize = c.inputShape.reduce((a, b) => a * b, 1);
      m.computeGradients(r.uniform(8 * inSize), r.int(8, 2));
      const ref = refStep(G, w0, edgeWeights(G, m.getGradients()), { lr: 0.5, floor: 0.9 }, refState(G));
      opt.step();
      const gs = opt.stages!;
      const eg = gs.eg;
      // 1. path values: phi(h) = product of w along fwd(h)
      const phi = gs.read('phi');
      eg.units.forEach((h, u) => expect(rel(phi[u], pathValue(G.fwd(h), w0))).toBeLessThan(1e-6));
      // 1b. s of the basis paths through each unit's in-edges
      const su = gs.read('su');
      for (const [e] of G.Q) expect(rel(su[eg.unitOf[G.edges[e].head]], ref.s.get(e)!)).toBeLessThan(1e-6);
      // 2-4. inverse chain rule, path-space step and ratios on the free skeleton paths
      const [u, v, st, R] = ['skU', 'skV', 'skS', 'skR'].map((n) => gs.read(n));
      const scale = Math.max(...[...ref.u.values()].map(Math.abs));
      let floored = 0;
      gs.fsEdges.forEach((e, f) => {
        expect(Math.abs(u[f] - ref.u.get(e)!)).toBeLessThan(1e-6 * scale);
        expect(rel(v[f], ref.v.get(e)!)).toBeLessThan(1e-6);
        expect(Math.abs(st[f] - ref.q.get(e)!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.q.get(e)!)));
        const want = Math.max(0.9, 1 - (0.5 * ref.q.get(e)!) / ref.v.get(e)!);
        if (want === 0.9) floored++;
        expect(Math.abs(R[f] - want)).toBeLessThan(1e-5);
      });
      if (c.name.startsWith('identity')) expect(floored).toBeGreaterThan(0); // the floor acted somewhere
      opt.dispose(); m.dispose();
    });
  }
});
