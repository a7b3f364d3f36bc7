// Mode 'blocks' (the authors' per-block scheme, shared/docs/ec-opt-graphs.md section 6 (i)): the
// default blocks of ResNet, PlainNet and a residual MLP; a block covering a whole chain is today's
// chain step bit for bit; explicit blocks are validated; the plain rule runs everywhere else.
import { describe, it, expect, beforeAll } from 'vitest';
import { Sequential, Model, input, BatchNorm1D, Dense, ReLU, ECSGD, ECMomentum, ECAdam, SGD, resnet, plainnet, ArgumentError } from '../../src/index.js';
import { runtime, rng } from '../helpers.js';
import { GRAPHS } from './nets.js';

beforeAll(async () => { await runtime(); });

const names = (m: any, opt: any) => (opt.options().blocks as number[][]).map((b) => b.map((i) => m.layers[i].name));

describe('per-block EC', () => {
  it('default blocks: one per BasicBlock [conv1, conv2] in a ResNet, one per stage in a PlainNet; none with bnRule none (BN everywhere)', () => {
    const r = resnet({ depth: 8, widths: [4, 6, 8], inputShape: [3, 8, 8], classes: 3 });
    const o = new ECSGD(r, { lr: 0.05, mode: 'blocks' });
    expect(names(r, o)).toEqual([1, 2, 3].map((s) => [`layer${s}.0.conv1`, `layer${s}.0.conv2`]));
    expect(o.options()).toMatchObject({ mode: 'blocks', bnRule: 'paper' });
    expect((new ECSGD(r, { lr: 0.05, mode: 'blocks', bnRule: 'none' }).options().blocks as number[][])).toEqual([]);
    const p = plainnet({ depth: 14, widths: [4, 6, 8], inputShape: [3, 8, 8], classes: 3 });
    const op = new ECSGD(p, { lr: 0.05, mode: 'blocks' });
    expect(names(p, op)).toEqual([1, 2, 3].map((s) => [`layer${s}.0.conv1`, `layer${s}.0.conv2`, `layer${s}.1.conv1`, `layer${s}.1.conv2`]));
    const g = GRAPHS[0].make();
    expect(new ECSGD(g, { lr: 0.05, mode: 'blocks', bnRule: 'none' }).options().blocks).toEqual([[2, 4], [7, 9]]); // Dense(4,3) and Dense(3,4) of each residual branch
    for (const m of [r, p, g]) m.dispose();
  });

  it('a block covering a whole chain is the chain step, bit for bit (SGD, momentum, Adam)', () => {
    for (const make of [(m: any, x: object) => new ECSGD(m, { lr: 0.05, ...x }), (m: any, x: object) => new ECMomentum(m, { lr: 0.02, ...x }), (m: any, x: object) => new ECAdam(m, { lr: 0.01, ...x })]) {
      const net = () => new Sequential([new Dense(5, 4), new ReLU(), new Dense(4, 6), new ReLU(), new Dense(6, 3)], { inputShape: [5], seed: 3 });
      const a = net(), b = net();
      const oa = make(a, {}), ob = make(b, { mode: 'blocks', blocks: [[a.layers[0], a.layers[2], a.layers[4]].map((l) => l.index)] });
      const r = rng(4);
      for (let t = 0; t < 4; t++) {
        const x = r.uniform(16 * 5), y = r.int(16, 3);
        expect(b.trainBatch(x, y, ob)).toBe(a.trainBatch(x, y, oa));
      }
      b.getWeights().forEach((w, i) => expect(w).toEqual(a.getWeights()[i]));
      a.dispose(); b.dispose();
    }
  });

  it('everything outside the blocks takes the plain rule of the same optimizer', () => {
    const make = () => GRAPHS[0].make(2);
    const a = make(), b = make();
    const oa = new ECSGD(a, { lr: 0.05, mode: 'blocks', trustRegion: false }), ob = new SGD(b, { lr: 0.05 });
    b.setWeights(a.getWeights()); // after unit-skeleton in the blocks
    const r = rng(5);
    const x = r.uniform(8 * 3), y = r.int(8, 2);
    a.trainBatch(x, y, oa); b.trainBatch(x, y, ob);
    const inBlocks = new Set([2, 4, 7, 9]);
    a.layers.forEach((l, i) => l.params.forEach((_, j) => {
      const k = a.layers.slice(0, i).reduce((s, z) => s + z.params.length, 0) + j;
      if (inBlocks.has(i)) return;
      expect(a.getWeights()[k]).toEqual(b.getWeights()[k]);
    }));
    a.dispose(); b.dispose();
  });

  it("bnRule 'paper' (heuristic): gradients at a unit a BatchNorm normalises are multiplied by the norm of its incoming row", () => {
    const x = input([3]);
    const m = new Model({ inputs: x, outputs: new Dense(4, 2, { bias: false }).apply(new ReLU().apply(new BatchNorm1D(4).apply(new Dense(3, 4, { bias: false }).apply(x)))), seed: 2 });
    const opt = new ECSGD(m, { lr: 0.05, mode: 'blocks', blocks: [[0, 3]] });
    const w = m.getWeights();
    const r = rng(6);
    m.computeGradients(r.uniform(8 * 3), r.int(8, 2));
    const g0 = m.getGradients();
    const plan = (opt as any).blockPlan;
    plan.scaleGradients(m.kernels); // what the step applies before the chain step of the block
    const g1 = m.getGradients();
    plan.restoreGradients(m.kernels);
    m.getGradients().forEach((g, i) => expect(g).toEqual(g0[i]));
    for (let o = 0; o < 4; o++) {
      const n = Math.fround(Math.hypot(w[0][o * 3], w[0][o * 3 + 1], w[0][o * 3 + 2]));
      for (let i = 0; i < 3; i++) expect(g1[0][o * 3 + i]).toBeCloseTo(g0[0][o * 3 + i] * n, 6);
      for (let k = 0; k < 2; k++) expect(g1[3][k * 4 + o]).toBeCloseTo(g0[3][k * 4 + o] * n, 6);
      expect(n).not.toBeCloseTo(1, 2);
    }
    opt.step();
    m.getGradients().forEach((g, i) => expect(g).toEqual(g0[i])); // the step leaves backprop's gradients
    expect(g1[1]).toEqual(g0[1]); // BN gamma: plain rule, untouched
    opt.dispose(); m.dispose();
  });

  it('explicit blocks are checked: weight layers only, in a chain, each in one block', () => {
    const m = GRAPHS[0].make();
    expect(() => new ECSGD(m, { lr: 0.1, mode: 'blocks', blocks: [[m.layers[1]]] })).toThrow(/a block lists Dense and Conv2D layers/);
    expect(() => new ECSGD(m, { lr: 0.1, mode: 'blocks', blocks: [[m.layers[0], m.layers[2]]] })).toThrow(/does not follow/); // the stem's output also feeds the shortcut
    expect(() => new ECSGD(m, { lr: 0.1, mode: 'blocks', blocks: [[2, 4], [4]] })).toThrow(/in two blocks/);
    expect(() => new ECSGD(m, { lr: 0.1, blocks: [[3, 5]] })).toThrow(ArgumentError);
    m.dispose();
  });
});
