// EC on graphs, structure (shared/docs/ec-opt-graphs.md sections 2, 3 and 7.2): the product's classes,
// gauge and fwd chains against the float64 reference, and the dimension m - H_eff against the rank of
// the explicit edge-by-path incidence of every source->sink path, on tiny graphs.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Dense, ReLU, Model, input, Add, BatchNorm1D, Sigmoid, resnet, plainnet } from '../../src/index.js';
import { runtime } from '../helpers.js';
import { refGraph, refPaths, refRank, refIsPath } from '../reference/ec-graph.js';
import { GRAPHS, refNet } from './nets.js';

beforeAll(async () => { await runtime(); });

describe('EC structure of graphs against the float64 reference', () => {
  for (const c of GRAPHS) {
    it(`${c.name}: rank of all paths = basis size = m - H_eff; frozen set and fwd chains as the reference`, () => {
      const m = c.make();
      const st = m.ecStructure();
      const G = refGraph(refNet(m));
      expect(st.kind).toBe('graph');
      expect(st.refused).toEqual([]);
      expect(st.weights).toBe(G.edges.length);
      expect(st.classes.gauge).toBe(G.hEff);
      expect(st.classes.bnRead).toBe(G.kind.filter((k) => k === 'bn-read').length);
      if (c.bn) expect(st.classes.bnRead).toBeGreaterThan(0);
      expect(st.dimension).toBe(G.edges.length - G.hEff);
      const paths = refPaths(G);
      expect(refRank(paths, G.edges.length)).toBe(st.dimension);
      const Q = [...G.Q.values()];
      expect(Q.length).toBe(st.dimension);
      for (const p of Q) expect(refIsPath(G, p)).toBe(true);
      expect(refRank(Q, G.edges.length)).toBe(st.dimension);
      // the product's frozen set and fwd chains are the reference's
      const eg = st.graph!;
      expect([...eg.frozen].map((f, e) => (f ? e : -1)).filter((e) => e >= 0)).toEqual(G.frozen.map((f, e) => (f ? e : -1)).filter((e) => e >= 0));
      eg.units.forEach((h, u) => {
        const f = G.fwd(h);
        expect(eg.fwdEdge[u]).toBe(f.length ? f[0] : -1);
        expect(eg.fwdLen[u]).toBe(f.length);
      });
      m.dispose();
    });
  }

  it('the spec example: stem 3->4, two blocks 4->3->4 with identity shortcuts, head 4->2: 20 units, H_eff = 10, m = 88', () => {
    const m = GRAPHS[0].make();
    const st = m.ecStructure();
    expect([st.weights, st.classes.gauge, st.graph!.units.length, st.dimension]).toEqual([88, 10, 20, 78]);
    m.dispose();
  });

  it('ResNet-8 and PlainNet-8: gauge classes are the streams and the branch-internal channels; BN-read classes the conv outputs', () => {
    const w = [4, 6, 8];
    const r = resnet({ depth: 8, widths: [4, 6, 8], inputShape: [3, 8, 8], classes: 3 });
    const st = r.ecStructure();
    const sum = w[0] + w[1] + w[2];
    expect(st.refused).toEqual([]);
    expect(st.classes.gauge).toBe(2 * sum); // a stream and an internal class per stage
    expect(st.classes.bnRead).toBe(3 * sum); // stem + conv1 + conv2 (stage 1); conv1, conv2, projection (stages 2, 3)
    const params = r.getWeights().reduce((a, x) => a + x.length, 0);
    expect(st.weights).toBe(params);
    expect(st.dimension).toBe(params - 2 * sum);
    const p = plainnet({ depth: 8, widths: [4, 6, 8], inputShape: [3, 8, 8], classes: 3 });
    const sp = p.ecStructure();
    // no shortcuts: every BN output channel is its own gauge class (its gamma frozen), except none is read twice
    expect(sp.classes.gauge).toBe(w[0] + 2 * sum);
    expect(sp.classes.bnRead).toBe(w[0] + 2 * sum);
    r.dispose(); p.dispose();
  });

  it('chain models keep today\'s structure (kind chain, gauge paper/general, classes = hidden units)', () => {
    const m = new Sequential([new Dense(4, 5), new ReLU(), new Dense(5, 3), new ReLU(), new Dense(3, 2)], { inputShape: [4] });
    const st = m.ecStructure();
    expect(st.kind).toBe('chain');
    expect([st.weights, st.hiddenUnits, st.dimension, st.classes.gauge, st.classes.bnRead]).toEqual([25 + 18 + 8, 8, 51 - 8, 8, 0]);
    expect(st.blocks).toEqual([[0, 2, 4]]);
    m.dispose();
  });

  it('reports why whole-graph EC refuses a graph: a non-homogeneous layer; a class read by BatchNorm and a weight layer', () => {
    const x = input([3]);
    const a = new Dense(3, 3).apply(x);
    const y = new Dense(3, 2).apply(new Add().apply([new Sigmoid().apply(a), a]));
    const m1 = new Model({ inputs: x, outputs: y });
    expect(m1.ecStructure().refused.join('\n')).toMatch(/Sigmoid.*not positively homogeneous/);
    const x2 = input([3]);
    const z = new Dense(3, 3).apply(x2);
    const m2 = new Model({ inputs: x2, outputs: new Dense(3, 2).apply(new Add().apply([new BatchNorm1D(3).apply(z), z])) });
    expect(m2.ecStructure().refused.join('\n')).toMatch(/read both by a BatchNorm and by a weight layer/);
    m1.dispose(); m2.dispose();
  });
});
