// EC-Opt: the seven properties of shared/docs/ec-opt-spec.md section 9, first on the float64
// reference (test/reference/ec.ts), then the wasm optimizers against it, on MLPs (equal widths,
// d != h, K > h, unimodal, non-unimodal, with and without biases, PReLU/LeakyReLU) and CNNs (ReLU
// and PReLU, max and avg pool, global average pool, flatten into dense).
import { describe, it, expect, beforeAll } from 'vitest';
import {
  Sequential, Dense, ReLU, LeakyReLU, PReLU, Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D, Flatten,
  SGD, ECSGD, ECMomentum, ECAdam, PathSGD, NonFiniteError, type Layer, type Optimizer,
} from '../src/index.js';
import { runtime, rng } from './helpers.js';
import {
  ecGraph, refForward, refLoss, refGradFD, allPaths, rank, basisIncidence, basisValues, icrSolve,
  movePathValue, pathValue, edgeValue,
} from './reference/ec.js';

interface NetCase { name: string; inputShape: number[]; layers: () => Layer[]; cnn?: boolean }

const NETS: NetCase[] = [
  { name: 'MLP equal widths 4-4-4-4', inputShape: [4], layers: () => [new Dense(4, 4), new ReLU(), new Dense(4, 4), new ReLU(), new Dense(4, 4)] },
  { name: 'MLP d != h 7-4-4-3, no bias', inputShape: [7], layers: () => [new Dense(7, 4, { bias: false }), new ReLU(), new Dense(4, 4, { bias: false }), new ReLU(), new Dense(4, 3, { bias: false })] },
  { name: 'MLP K > h 4-3-3-6', inputShape: [4], layers: () => [new Dense(4, 3), new ReLU(), new Dense(3, 3), new ReLU(), new Dense(3, 6)] },
  { name: 'MLP unimodal 4-3-5-2-3', inputShape: [4], layers: () => [new Dense(4, 3), new ReLU(), new Dense(3, 5), new ReLU(), new Dense(5, 2), new ReLU(), new Dense(2, 3)] },
  { name: 'MLP non-unimodal 4-5-2-4-3', inputShape: [4], layers: () => [new Dense(4, 5), new ReLU(), new Dense(5, 2), new ReLU(), new Dense(2, 4), new ReLU(), new Dense(4, 3)] },
  { name: 'MLP non-unimodal 3-2-4-3-2, no bias', inputShape: [3], layers: () => [new Dense(3, 2, { bias: false }), new ReLU(), new Dense(2, 4, { bias: false }), new ReLU(), new Dense(4, 3, { bias: false }), new ReLU(), new Dense(3, 2, { bias: false })] },
  { name: 'MLP PReLU + LeakyReLU 5-6-3-3', inputShape: [5], layers: () => [new Dense(5, 6), new PReLU(), new Dense(6, 3), new LeakyReLU(0.1), new Dense(3, 3)] },
  {
    name: 'CNN ReLU, max pool, flatten -> dense', inputShape: [1, 6, 6], cnn: true,
    layers: () => [new Conv2D(1, 2, 3, { padding: 1 }), new ReLU(), new MaxPool2D(2), new Conv2D(2, 3, 2, { padding: 'same' }), new ReLU(), new Flatten(), new Dense(27, 3)],
  },
  {
    name: 'CNN PReLU, avg pool, no bias', inputShape: [2, 6, 6], cnn: true,
    layers: () => [new Conv2D(2, 3, 3, { bias: false }), new PReLU(), new AvgPool2D(2), new Flatten(), new Dense(12, 2, { bias: false })],
  },
  {
    name: 'CNN global average pool', inputShape: [1, 5, 5], cnn: true,
    layers: () => [new Conv2D(1, 4, 3, { padding: 1 }), new ReLU(), new Conv2D(4, 2, 3, { padding: 1, bias: false }), new LeakyReLU(0.2), new GlobalAvgPool2D(), new Dense(2, 3)],
  },
];

const build = (c: NetCase, seed = 1) => new Sequential(c.layers(), { seed, inputShape: c.inputShape });
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const to64 = (ws: Float32Array[]) => ws.map((w) => Float64Array.from(w));

function batch(c: NetCase, B: number, seed: number, classes: number) {
  const r = rng(seed);
  return { x: r.uniform(B * size(c.inputShape), -1, 1), y: r.int(B, classes) };
}

/** Random rescaling of every hidden unit, c log-uniform in [1/cmax, cmax]; returns the factors. */
function rescaleAll(model: Sequential, seed: number, cmax: number): [number, number, number][] {
  const st = model.ecStructure();
  const r = rng(seed);
  const applied: [number, number, number][] = [];
  st.layers.slice(0, -1).forEach((x) => {
    for (let u = 0; u < x.O; u++) {
      const c = Math.exp((2 * r.next() - 1) * Math.log(cmax));
      model.rescaleHiddenUnit(x.layerIndex, u, c);
      applied.push([x.layerIndex, u, c]);
    }
  });
  return applied;
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let scale = floor;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
  return worst;
}

describe('EC-Opt', () => {
  beforeAll(runtime);

  describe('1. function invariance under rescaling', () => {
    for (const c of NETS) {
      it(c.name, () => {
        const m = build(c, 3);
        const { x } = batch(c, 5, 11, 1);
        const before = m.predict(x, 5);
        rescaleAll(m, 5, 10);
        const after = m.predict(x, 5);
        expect(maxRel(after, before)).toBeLessThan(1e-5);
        // and the rescaling did change the weights
        const m2 = build(c, 3);
        expect(maxRel(m.getWeights()[0], m2.getWeights()[0])).toBeGreaterThan(1e-2);
        m.dispose(); m2.dispose();
      });
    }
  });

  describe('2. basis count and rank m - H', () => {
    for (const c of NETS) {
      it(c.name, () => {
        const m = build(c);
        const st = m.ecStructure();
        const g = ecGraph(m);
        const H = g.widths.slice(1, g.L).reduce((a, b) => a + b, 0);
        expect(st.weights).toBe(g.edges.length);
        expect(st.hiddenUnits).toBe(H);
        expect(st.dimension).toBe(g.edges.length - H);
        expect(g.freeEdges.length).toBe(g.edges.length - H);
        expect(st.unimodal).toBe(g.unimodal);
        const m_ = g.edges.length;
        const incidence = (paths: number[][]) => paths.map((p) => { const row = new Array(m_).fill(0); for (const e of p) row[e] += 1; return row; });
        // every path of the network spans exactly m - H dimensions ...
        const paths = allPaths(g);
        if (paths.length <= 6000) expect(rank(incidence(paths), m_)).toBe(m_ - H);
        // ... and the m - H basis paths are independent
        expect(rank(incidence(g.freeEdges.map((f) => g.basisPath(f))), m_)).toBe(m_ - H);
        m.dispose();
      });
    }
  });

  describe('3. path values: closed form == explicit products', () => {
    for (const c of NETS) {
      it(c.name, () => {
        const m = build(c, 4);
        const w = to64(m.getWeights());
        const g = ecGraph(m);
        const st = m.ecStructure();
        // closed form: beta (down the in-chain) * w * phi (up the out-chain), via the wasm chain kernels
        const { kernels: k, arena } = m as unknown as { kernels: any; arena: any };
        const L = st.layers.length;
        const beta: Float32Array[] = [];
        const phi: Float32Array[] = [];
        const ptr = (n: number) => arena.alloc(Math.max(n, 4) * 4);
        const bp = st.widths.map((h) => ptr(h));
        const pp = st.widths.map((h) => ptr(h));
        k.fill_f32(bp[0], st.widths[0], 1);
        for (let l = 1; l < L; l++) { const x = st.layers[l - 1]; k.ec_chain_beta(bp[l], bp[l - 1], x.layer.paramPtr[0], x.O, x.I, x.T, x.dtap); }
        k.fill_f32(pp[L], st.widths[L], 1);
        for (let l = L; l >= 2; l--) { const x = st.layers[l - 1]; k.ec_chain_phi(pp[l - 1], pp[l], x.layer.paramPtr[0], x.O, x.I, x.T, x.dtap); }
        st.widths.forEach((h, l) => { beta.push(arena.f32(bp[l], h).slice()); phi.push(arena.f32(pp[l], h).slice()); });
        for (const id of g.freeEdges) {
          const e = g.edges[id];
          const explicit = pathValue(g, w, g.basisPath(id));
          const closed = (e.i >= 0 ? beta[e.l - 1][e.i] : 1) * edgeValue(g, w, id) * phi[e.l][e.o];
          expect(Math.abs(closed - explicit)).toBeLessThanOrEqual(1e-5 * Math.abs(explicit) + 1e-12);
        }
        [...bp, ...pp].forEach((p) => arena.release(p));
        m.dispose();
      });
    }
  });

  describe('4. inverse chain rule', () => {
    for (const c of NETS) {
      it(c.name, () => {
        const m = build(c, 6);
        const K = m.outputShape[0];
        const B = 4;
        const { x, y } = batch(c, B, 21, K);
        const w = to64(m.getWeights());
        const g = ecGraph(m);
        const dLdw = refGradFD(m, w, x, y, B);
        const dFdv = icrSolve(g, w, dLdw);
        const v = basisValues(g, w);
        // J^T (dF/dv) reproduces backprop on every edge, frozen ones included
        const pathsThrough = new Map<number, number[]>();
        g.freeEdges.forEach((f, p) => { for (const id of g.basisPath(f)) { if (!pathsThrough.has(id)) pathsThrough.set(id, []); pathsThrough.get(id)!.push(p); } });
        let gmax = 0;
        for (const e of g.edges) gmax = Math.max(gmax, Math.abs(dLdw[e.param][e.pos]));
        for (const e of g.edges) {
          // d v_p / d w_e = product of the other edges of p (no division: biases start at 0)
          const jt = (pathsThrough.get(e.id) ?? []).reduce((s, p) => s + dFdv[p] * pathValue(g, w, g.basisPath(g.freeEdges[p]).filter((id) => id !== e.id)), 0);
          expect(Math.abs(jt - dLdw[e.param][e.pos])).toBeLessThanOrEqual(1e-6 * gmax + 1e-9);
        }
        // dF/dv matches central differences in path space (relative step 1e-6 |v|)
        const eps = 1e-6;
        for (let p = 0; p < g.freeEdges.length; p += Math.max(1, Math.floor(g.freeEdges.length / 25))) {
          const fp = refLoss(m, movePathValue(g, w, p, eps), x, y, B);
          const fm = refLoss(m, movePathValue(g, w, p, -eps), x, y, B);
          if (v[p] === 0) continue; // a zero path value cannot be moved multiplicatively
        const fd = (fp - fm) / (Math.log1p(eps) - Math.log1p(-eps)) / v[p];
          expect(Math.abs(fd - dFdv[p])).toBeLessThanOrEqual(1e-4 * Math.abs(dFdv[p]) + 1e-6 * Math.max(1, ...dFdv.map(Math.abs)));
        }
        m.dispose();
      });
    }
  });

  describe('5. one EC-SGD step: new basis values == v - lr dF/dv, frozen weights bit-identical', () => {
    for (const c of NETS) {
      for (const weights of ['unit-skeleton', 'replaced']) {
        it(`${c.name} (${weights} weights)`, () => {
          const m = build(c, 7);
          const opt = new ECSGD(m, { lr: 0.05, trustRegion: false, skeletonFloor: false });
          if (weights === 'replaced') {
            // weights replaced after the optimizer was created: a different equivalent network plus noise
            rescaleAll(m, 9, 3);
          }
          const K = m.outputShape[0];
          const B = 6;
          const { x, y } = batch(c, B, 31, K);
          const g = ecGraph(m);
          const w0 = m.getWeights();
          const w = to64(w0);
          m.computeGradients(x, y);
          const dLdw = to64(m.getGradients());
          const dFdv = icrSolve(g, w, dLdw);
          const v = basisValues(g, w);
          m.trainBatch(x, y, opt);
          const w1 = m.getWeights();
          const v1 = basisValues(g, w1);
          let scale = 0;
          for (let p = 0; p < v.length; p++) scale = Math.max(scale, Math.abs(v[p]), Math.abs(0.05 * dFdv[p]));
          for (let p = 0; p < v.length; p++) {
            const want = v[p] - 0.05 * dFdv[p];
            expect(Math.abs(v1[p] - want)).toBeLessThanOrEqual(2e-5 * scale);
          }
          let frozen = 0;
          g.edges.forEach((e, j) => {
            if (!g.frozen[j]) return;
            frozen++;
            expect(w1[e.param][e.pos]).toBe(w0[e.param][e.pos]);
          });
          expect(frozen).toBe(m.ecStructure().hiddenUnits);
          m.dispose();
        });
      }
    }
  });

  describe('6. equivariance over 20 steps', () => {
    const opts: [string, (m: Sequential) => Optimizer, boolean][] = [
      ['ECSGD', (m) => new ECSGD(m, { lr: 0.05 }), true],
      ['ECMomentum', (m) => new ECMomentum(m, { lr: 0.02, momentum: 0.9 }), true],
      ['ECAdam', (m) => new ECAdam(m, { lr: 0.003 }), true],
      ['PathSGD', (m) => new PathSGD(m, { lr: 0.05 }), true],
      ['SGD (must fail)', (m) => new SGD(m, { lr: 0.05 }), false],
    ];
    for (const c of [NETS[0], NETS[4], NETS[6], NETS[7], NETS[8]]) {
      for (const [name, make, equivariant] of opts) {
        it(`${name}: ${c.name}`, () => {
          const a = build(c, 12);
          const b = build(c, 12);
          const oa = make(a);
          const ob = make(b);
          const factors = rescaleAll(b, 13, 5);
          const K = a.outputShape[0];
          for (let step = 0; step < 20; step++) {
            const { x, y } = batch(c, 8, 100 + step, K);
            a.trainBatch(x, y, oa);
            b.trainBatch(x, y, ob);
          }
          const { x } = batch(c, 16, 999, K);
          const outDiff = maxRel(b.predict(x, 16), a.predict(x, 16));
          // w'_t = g(w_t): rescale a's final weights by the same factors and compare with b's
          for (const [li, u, cc] of factors) a.rescaleHiddenUnit(li, u, cc);
          const wa = a.getWeights();
          const wb = b.getWeights();
          const wDiff = Math.max(...wa.map((w, i) => maxRel(wb[i], w)));
          if (equivariant) {
            expect(outDiff).toBeLessThan(2e-3);
            expect(wDiff).toBeLessThan(2e-3);
          } else {
            expect(outDiff).toBeGreaterThan(1e-2);
          }
          a.dispose(); b.dispose();
        });
      }
    }
  });

  describe('7. hazard: tiny skeleton value; the trust region', () => {
    const c = NETS[0];
    function tinySkeleton(trustRegion: boolean) {
      const m = build(c, 21);
      const opt = new ECSGD(m, { lr: 0.1, trustRegion, skeletonFloor: false });
      const st = m.ecStructure();
      const piv = st.layers[st.pivotLayer - 1];
      const ws = m.getWeights();
      const wIdx = m.layers.slice(0, piv.layerIndex).reduce((n, l) => n + l.params.length, 0);
      ws[wIdx][0] = 1e-6; // free skeleton weight of pivot unit 0: its skeleton path value becomes tiny
      m.setWeights(ws);
      let maxAbs = 0;
      let refused = false;
      for (let step = 0; step < 50; step++) {
        const { x, y } = batch(c, 8, 500 + step, 4);
        try { m.trainBatch(x, y, opt); } catch (e) { if (e instanceof NonFiniteError) { refused = true; break; } throw e; }
        for (const w of m.getWeights()) for (const v of w) maxAbs = Math.max(maxAbs, Math.abs(v));
      }
      m.dispose();
      return { maxAbs, refused };
    }
    it('without the trust region the step blows up; with it training stays bounded', () => {
      const off = tinySkeleton(false);
      const on = tinySkeleton(true);
      expect(off.refused || off.maxAbs > 1e3).toBe(true); // measured: weights reach ~1.5e3 in 50 steps
      expect(on.refused).toBe(false);
      expect(on.maxAbs).toBeLessThan(100); // measured: ~5.8
    });
    it('the trust region does not change a healthy run', () => {
      const run = (trustRegion: boolean) => {
        const m = build(c, 22);
        const opt = new ECSGD(m, { lr: 0.05, trustRegion });
        const losses: number[] = [];
        for (let step = 0; step < 40; step++) {
          const { x, y } = batch(c, 8, 700 + step, 4);
          losses.push(m.trainBatch(x, y, opt));
          if (trustRegion) expect(opt.lastStepScale).toBe(1);
        }
        const w = m.getWeights();
        m.dispose();
        return { losses, w };
      };
      const on = run(true);
      const off = run(false);
      expect(on.losses).toEqual(off.losses);
      expect(on.w).toEqual(off.w);
      expect(on.losses[39]).toBeLessThan(on.losses[0]);
    });
  });

  describe('structure and errors', () => {
    it('reports m, H, m - H and the pivot of the paper MLP', () => {
      const m = new Sequential([new Dense(784, 64, { bias: false }), new ReLU(), new Dense(64, 64, { bias: false }), new ReLU(),
        new Dense(64, 64, { bias: false }), new ReLU(), new Dense(64, 64, { bias: false }), new ReLU(), new Dense(64, 10, { bias: false })]);
      const st = m.ecStructure();
      expect(st.weights).toBe(784 * 64 + 3 * 64 * 64 + 640);
      expect(st.hiddenUnits).toBe(256);
      expect(st.dimension).toBe(st.weights - 256);
      expect(st.pivotLayer).toBe(1);
      expect(st.unimodal).toBe(true);
      m.dispose();
    });
    it("'unit-skeleton' sets every skeleton weight to 1; 'preserve' keeps the function", () => {
      const c = NETS[3];
      const m = build(c, 30);
      new ECSGD(m, { lr: 0.1 });
      const g = ecGraph(m);
      const w = m.getWeights();
      g.edges.forEach((e, j) => { if (g.skeleton[j]) expect(w[e.param][e.pos]).toBe(1); });
      const p = build(c, 30);
      const { x } = batch(c, 4, 3, 1);
      const before = p.predict(x, 4);
      new ECSGD(p, { lr: 0.1, init: 'preserve' });
      expect(maxRel(p.predict(x, 4), before)).toBeLessThan(1e-5);
      const gp = ecGraph(p);
      const wp = p.getWeights();
      gp.edges.forEach((e, j) => { if (gp.frozen[j]) expect(Math.abs(wp[e.param][e.pos])).toBeCloseTo(1, 6); });
      m.dispose(); p.dispose();
    });
    it('rescaleHiddenUnit rejects c <= 0, output units and bad indices', () => {
      const m = build(NETS[0]);
      const before = m.getWeights();
      expect(() => m.rescaleHiddenUnit(0, 0, 0)).toThrow(/c must be/);
      expect(() => m.rescaleHiddenUnit(0, 0, -2)).toThrow(/c must be/);
      expect(() => m.rescaleHiddenUnit(0, 0, NaN)).toThrow(/c must be/);
      expect(() => m.rescaleHiddenUnit(4, 0, 2)).toThrow(/outputs/);
      expect(() => m.rescaleHiddenUnit(0, 4, 2)).toThrow(/unit must be/);
      expect(() => m.rescaleHiddenUnit(9, 0, 2)).toThrow(/layerIndex/);
      expect(m.getWeights()).toEqual(before);
      m.dispose();
    });
  });
});
