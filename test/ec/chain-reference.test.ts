// Today's chain step (mode 'chain', ec-opt-spec.md) against the independent float64 reference of
// test/reference/ec-graph-step.ts: on a chain whose hidden widths are not unimodal the chain uses the
// general gauge (T = the designated in-edge of every hidden unit), which is the whole-graph gauge,
// so the two steps must agree: EC-SGD, EC-Momentum (Nesterov), EC-Adam with weight decay, trust
// region and skeleton floor, with non-zero biases (issue 15: chain tests against the reference).
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, ECSGD, ECMomentum, ECAdam } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { refGraph } from '../reference/ec-graph.js';
import { refStep, refState, edgeWeights, type RefStepOptions } from '../reference/ec-graph-step.js';
import { refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

const nets: [string, () => Sequential][] = [
  ['MLP 4-5-2-4-3, biases', () => new Sequential([new Dense(4, 5), new ReLU(), new Dense(5, 2), new ReLU(), new Dense(2, 4), new ReLU(), new Dense(4, 3)], { inputShape: [4], seed: 2 })],
  ['MLP 3-4-2-3-2, no bias', () => new Sequential([new Dense(3, 4, { bias: false }), new ReLU(), new Dense(4, 2, { bias: false }), new ReLU(), new Dense(2, 3, { bias: false }), new ReLU(), new Dense(3, 2, { bias: false })], { inputShape: [3], seed: 2 })],
];
const configs: [string, (m: Sequential) => any, RefStepOptions][] = [
  ['EC-SGD', (m) => new ECSGD(m, { lr: 0.05, trustRegion: false, skeletonFloor: false }), { lr: 0.05 }],
  ['EC-SGD, trust region 0.02, floor 0.1', (m) => new ECSGD(m, { lr: 0.5, trustRegion: 0.02 }), { lr: 0.5, rho: 0.02, floor: 0.1 }],
  ['EC-Momentum (Nesterov), weight decay', (m) => new ECMomentum(m, { lr: 0.05, nesterov: true, weightDecay: 0.1, trustRegion: false, skeletonFloor: false }), { lr: 0.05, rule: 'momentum', momentum: 0.9, nesterov: true, weightDecay: 0.1 }],
  ['EC-Adam, weight decay', (m) => new ECAdam(m, { lr: 0.01, weightDecay: 0.05, trustRegion: false, skeletonFloor: false }), { lr: 0.01, rule: 'adam', weightDecay: 0.05 }],
];

describe('chain EC step against the float64 reference (general gauge)', () => {
  for (const [nn, make] of nets) {
    for (const [cn, opt, ro] of configs) {
      it(`${nn}, ${cn}`, () => {
        const m = make();
        const r = rng(3);
        m.setWeights(m.getWeights().map((w) => w.map(() => (r.next() < 0.5 ? -1 : 1) * (0.2 + r.next()))));
        const o = opt(m);
        expect(o.mode).toBe('chain');
        expect(m.ecStructure().gauge).toBe('general');
        const G = refGraph(refNet(m as any));
        const state = refState(G);
        let worst = 0, moved = 0;
        for (let t = 0; t < 3; t++) {
          const w0 = edgeWeights(G, m.getWeights());
          m.computeGradients(r.uniform(8 * m.layers[0].inSize), r.int(8, m.layers[m.layers.length - 1].outSize));
          const ref = refStep(G, w0, edgeWeights(G, m.getGradients()), ro, state);
          o.step();
          const w1 = edgeWeights(G, m.getWeights());
          G.edges.forEach((_, e) => {
            if (G.frozen[e]) expect(w1[e]).toBe(w0[e]);
            worst = Math.max(worst, Math.abs(w1[e] - ref.w[e]) / Math.max(1e-2, Math.abs(ref.w[e])));
            moved = Math.max(moved, Math.abs(w1[e] - w0[e]));
          });
        }
        // float32 against float64, relative (floor 1e-2); the chain kernels sum in another order than
        // the graph kernels: up to 1.1e-6 measured
        expect(worst).toBeLessThan(2e-6);
        expect(moved).toBeGreaterThan(1e-3);
        o.dispose(); m.dispose();
      });
    }
  }
});

describe("mode 'graph' on a chain and today's pivot gauge give the same function (ec-opt-graphs.md section 3)", () => {
  const widths = [[5, 4, 4, 4, 3], [3, 4, 6, 5, 2], [6, 5, 5, 3], [4, 3, 5, 2]];
  for (const ws of widths) {
    it(`widths ${ws.join('-')}: outputs after 10 EC-SGD steps from the same unit-skeleton start`, () => {
      const make = () => {
        const layers = [];
        for (let l = 1; l < ws.length; l++) { layers.push(new Dense(ws[l - 1], ws[l])); if (l < ws.length - 1) layers.push(new ReLU()); }
        return new Sequential(layers, { inputShape: [ws[0]], seed: 4 });
      };
      const a = make(), b = make();
      const oa = new ECSGD(a, { lr: 0.05, trustRegion: false, skeletonFloor: false });
      const ob = new ECSGD(b, { lr: 0.05, trustRegion: false, skeletonFloor: false, mode: 'graph' });
      expect([oa.mode, ob.mode]).toEqual(['chain', 'graph']);
      // both inits set skeleton weights to 1; start b from a's weights (a's skeleton contains b's frozen set)
      b.setWeights(a.getWeights());
      const r = rng(8);
      const probe = r.uniform(16 * ws[0]);
      const before = a.predict(probe);
      for (let t = 0; t < 10; t++) {
        const x = r.uniform(16 * ws[0]), y = r.int(16, ws[ws.length - 1]);
        a.trainBatch(x, y, oa); b.trainBatch(x, y, ob);
      }
      const pa = a.predict(probe), pb = b.predict(probe);
      let diff = 0, change = 0;
      pa.forEach((v, i) => { diff = Math.max(diff, Math.abs(v - pb[i])); change = Math.max(change, Math.abs(v - before[i])); });
      expect(change).toBeGreaterThan(1e-2);
      expect(diff).toBeLessThan(1e-5 * Math.max(1, ...Array.from(pa, Math.abs)));
      oa.dispose(); ob.dispose(); a.dispose(); b.dispose();
    });
  }
});
