// Mode 'blocks' of the EC optimizers (shared/docs/ec-opt-graphs.md section 6 (i), the authors'
// per-block scheme): which chains of weight layers are blocks (by default one per residual branch
// of each Add, e.g. [conv1, conv2] of a BasicBlock; without Adds one per stage of equal widths; with
// bnRule 'none' the maximal BatchNorm-free chains), their chain structures, the tensors that take
// the plain rule instead (stem, projections, head, BatchNorm, PReLU slopes), and the authors'
// BatchNorm rule inside a block (heuristic): the gradients of every edge at a hidden unit that a
// BatchNorm normalises are multiplied by the norm of that unit's incoming weight row before the
// chain step, i.e. each path gradient through the unit by |W[o, :, :]|.
import { ArgumentError } from '../core/errors.js';
import { sizeOf, type Layer } from '../layers/layer.js';
import type { Graph } from '../graph/graph.js';
import type { Kernels } from '../core/wasm.js';
import { chainStructureOf, type ECModel, type ECStructure } from './structure.js';

/** The authors' rule for a BatchNorm inside a block ('paper', heuristic) or blocks without BatchNorm ('none'). */
export type BNRule = 'paper' | 'none';

/** What mode 'blocks' runs: the blocks' chains and the plain-rule tensors. */
export interface BlockPlan {
  /** Per block: the layer indices of its weight layers, in order. */
  blocks: number[][];
  chains: ECStructure[];
  /** [param ptr, grad ptr, size] of every tensor outside the blocks. */
  plain: [number, number, number][];
  /** Allocates the gradient backup of the BatchNorm rule (called once, by the optimizer's setup). */
  allocate(alloc: (bytes: number, what: string) => number): void;
  /** Applies the BatchNorm rule to the gradients, after saving them (a no-op without BatchNorm inside blocks). */
  scaleGradients(kernels: Kernels): void;
  /** Puts the saved gradients back (bit-identical), so a step leaves the gradients as backprop wrote them. */
  restoreGradients(kernels: Kernels): void;
}

const isWeight = (l: Layer) => l.kind === 'Dense' || l.kind === 'Conv2D';

/** Consumers of every tensor. */
function consumers(g: Graph): number[][] {
  const c: number[][] = g.shapes.map(() => []);
  g.nodes.forEach((n, i) => n.inputs.forEach((t) => c[t].push(i)));
  return c;
}

/** The nodes strictly between weight layer a and weight layer b, or null when b is not reached from a through single-consumer, single-input nodes. */
function between(g: Graph, cons: number[][], a: number, b: number, allowBN: boolean): number[] | null {
  const path: number[] = [];
  let t = a + 1;
  for (;;) {
    if (cons[t].length !== 1) return null;
    const j = cons[t][0];
    if (j === b) return path;
    const l = g.nodes[j].layer;
    if (g.nodes[j].inputs.length !== 1 || isWeight(l)) return null;
    if (!(l.ecRole === 'homogeneous' || (allowBN && l.ecRole === 'scale-cut'))) return null;
    path.push(j);
    t = j + 1;
  }
}

/** The authors' default blocks (bnRule 'paper'), or the maximal BatchNorm-free chains ('none'). */
function defaultBlocks(g: Graph, rule: BNRule): number[][] {
  const cons = consumers(g);
  const weights = g.nodes.map((n, i) => (isWeight(n.layer) ? i : -1)).filter((i) => i >= 0);
  const out: number[][] = [];
  if (rule === 'none') {
    const used = new Set<number>();
    for (const w of weights) {
      if (used.has(w)) continue;
      const block = [w];
      for (;;) {
        const last = block[block.length - 1];
        const next = weights.find((v) => v > last && between(g, cons, last, v, false) !== null);
        if (next === undefined) break;
        block.push(next);
      }
      block.forEach((v) => used.add(v));
      if (block.length >= 2) out.push(block);
    }
    return out;
  }
  const adds = g.nodes.map((n, i) => (n.layer.kind === 'Add' ? i : -1)).filter((i) => i >= 0);
  if (adds.length > 0) {
    for (const a of adds) {
      for (const t0 of g.nodes[a].inputs) {
        // walk back along single-input nodes to the tensor the branch starts from
        const branch: number[] = [];
        let t = t0;
        while (t > 0 && cons[t].length === 1 && g.nodes[t - 1].inputs.length === 1) {
          if (isWeight(g.nodes[t - 1].layer)) branch.unshift(t - 1);
          t = g.nodes[t - 1].inputs[0];
        }
        if (branch.length >= 2) out.push(branch);
      }
    }
    return out.sort((x, y) => x[0] - y[0]);
  }
  // a network without shortcuts (PlainNet): one block per stage of equal output widths, stem and head apart
  const inner = weights.slice(1, -1);
  const width = (i: number) => g.shapes[i + 1][0];
  let cur: number[] = [];
  for (const w of inner) {
    if (cur.length && (width(w) !== width(cur[cur.length - 1]) || between(g, cons, cur[cur.length - 1], w, true) === null)) {
      if (cur.length >= 2) out.push(cur);
      cur = [];
    }
    cur.push(w);
  }
  if (cur.length >= 2) out.push(cur);
  return out;
}

/** Builds the plan of mode 'blocks' (blocks given as layers or layer indices, or the defaults). */
export function blockPlan(model: ECModel, given: (Layer | number)[][] | undefined, rule: BNRule, who: string): BlockPlan {
  const g = model.graph;
  if (!g) throw new ArgumentError(`${who}: mode 'blocks' needs a model with a graph`);
  const cons = consumers(g);
  const blocks = given === undefined ? defaultBlocks(g, rule) : given.map((b, bi) => {
    if (!Array.isArray(b) || b.length === 0) throw new ArgumentError(`${who}: blocks[${bi}] must be a non-empty array of layers`);
    return b.map((l) => {
      const i = typeof l === 'number' ? l : model.layers.indexOf(l);
      if (!Number.isInteger(i) || i < 0 || i >= model.layers.length) throw new ArgumentError(`${who}: blocks[${bi}] names a layer that is not in this model`);
      return i;
    });
  });
  const seen = new Set<number>();
  const bnPairs: [number, number][] = [];
  blocks.forEach((b, bi) => b.forEach((i, j) => {
    const l = model.layers[i];
    if (!isWeight(l)) throw new ArgumentError(`${who}: blocks[${bi}] holds ${l.label}; a block lists Dense and Conv2D layers`);
    if (seen.has(i)) throw new ArgumentError(`${who}: ${l.label} is in two blocks`);
    seen.add(i);
    if (j === 0) return;
    const mid = between(g, cons, b[j - 1], i, rule === 'paper');
    if (mid === null) {
      throw new ArgumentError(`${who}: blocks[${bi}]: ${l.label} does not follow ${model.layers[b[j - 1]].label} through a chain of activations and pools` +
        `${rule === 'paper' ? ' (and BatchNorm)' : ''} whose tensors nothing else reads`);
    }
    if (mid.some((n) => g.nodes[n].layer.ecRole === 'scale-cut')) bnPairs.push([b[j - 1], i]);
  }));
  const chains = blocks.map((b) => chainStructureOf(b.map((i) => model.layers[i]), who));
  const plain: [number, number, number][] = [];
  model.layers.forEach((l, i) => {
    if (seen.has(i)) return;
    l.params.forEach((p, j) => plain.push([l.paramPtr[j], l.gradPtr[j], sizeOf(p.shape)]));
  });
  const shape = (i: number) => chains.flatMap((c) => c.layers).find((x) => x.layerIndex === i)!;
  // the gradient tensors the rule scales, saved before and put back after the step
  const touched = [...new Set(bnPairs.flatMap(([a, b]) => [a, b]))].flatMap((i) => model.layers[i].params.map((p, j) => [model.layers[i].gradPtr[j], sizeOf(p.shape)]));
  let backup: number[] = [];
  return {
    blocks, chains, plain,
    allocate(alloc) { backup = touched.map(([, n]) => alloc(Math.max(4, n) * 4, 'gradient backup')); },
    scaleGradients(k) {
      touched.forEach(([g, n], i) => k.copy_bytes(backup[i], g, 4 * n));
      for (const [a, b] of bnPairs) {
        const x = shape(a), y = shape(b);
        const row = x.I * x.T;
        for (let o = 0; o < x.O; o++) {
          const n = Math.fround(Math.sqrt(k.sumsq_f32(x.layer.paramPtr[0] + 4 * o * row, row)));
          k.ec_scale_head(x.layer.gradPtr[0], x.O, x.I, x.T, o, n);
          if (x.hasBias) k.ec_scale_head(x.layer.gradPtr[1], x.O, 1, 1, o, n);
          k.ec_scale_tail(y.layer.gradPtr[0], y.O, y.I, y.T, o, n);
        }
      }
    },
    restoreGradients(k) { touched.forEach(([g, n], i) => k.copy_bytes(g, backup[i], 4 * n)); },
  };
}
