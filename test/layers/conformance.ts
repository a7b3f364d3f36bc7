// The shared conformance harness of the layer contract (docs/architecture.md, "Layer contract"):
// `conformance('Dense', def)` generates every test a layer type must pass, from a description of
// its configurations (SIMD-tail sizes, odd batches), input shapes and a float64 reference forward:
//  kernels    forward/backward(k, io) called directly on guarded buffers: y vs the reference, dx and
//             parameter gradients vs central differences of L = sum(g * f(x)); no write past any
//             output, scratch or cache; inputs untouched; repeat calls and per-sample calls give the
//             same bits; dx = 0 (input gradient not needed) changes no parameter gradient bit
//  model      the layer inside a tiny Model (input -> trainable feeder(s) -> layer [-> Flatten] ->
//             Dense head): predict vs the reference, computeGradients (softmax cross-entropy) vs
//             central differences of the float64 model, for every parameter (the feeders' gradients
//             carry the layer's input gradient through the graph executor)
//  shapes     wrong input shapes refused at apply() with a ShapeError naming the layer, which stays usable
//  files      toSpec -> Model.fromSpec (graph) and Sequential.fromSpec (chain) rebuild the same config;
//             toSafetensors -> fromSafetensors; predictions bit-identical; a named layer's tensors
//             are `<name>.weight`
//  contract   ecRole is one of the five roles and the family's; the type is in LAYER_TYPES and
//             checkLayerFields accepts its config() and refuses an unknown field.
// Runs in Node and Chromium (no Node-only APIs).
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import {
  input, Model, Sequential, Dense, Conv2D, Flatten, Layer, ShapeError, FormatError, readSafetensors, getRuntime,
  type Kernels, type LayerOptions, type ECRole, type ParamSpec, type SymbolicTensor,
} from '../../src/index.js';
import { sizeOf, type LayerIO } from '../../src/layers/layer.js';
import { LAYER_TYPES, checkLayerFields, layerFromFields, isBuiltinLayer } from '../../src/layers/registry.js';
import { runtime, rng, put, get, free, closeness, hashArrays, putGuarded, guardDamage } from '../helpers.js';
import { dense_forward_ref } from '../reference/dense.js';
import { conv2d_forward_ref } from '../reference/conv2d.js';
import { softmax_xent_ref } from '../reference/loss.js';

export type Rng = ReturnType<typeof rng>;
type Arr = ArrayLike<number>;

/** The five EC roles (src/layers/layer.ts, ECRole). */
export const EC_ROLES: readonly ECRole[] = ['weight', 'homogeneous', 'join', 'scale-cut', 'none'];

/** One configuration of a layer type. */
export interface LayerCase {
  /** Test title, e.g. 'in=13 out=7, no bias'. */
  name: string;
  /** A new layer of this configuration; `options` is what the harness adds (a name) to spread into the layer's options. */
  make: (options: LayerOptions) => Layer;
  /** Per-sample input shapes: one for a layer of one input, several for a join. */
  inputs: number[][];
  /** The per-sample output shape, worked out independently of the layer. */
  out: number[];
  /** Float64 forward of a batch of B: xs[i] is (B, ...inputs[i]), params in `layer.params` order. */
  ref: (xs: Float64Array[], params: Float64Array[], B: number) => Float64Array;
  /** Batch sizes to run (default [1, 3]). */
  batches?: number[];
  /**
   * Joins: which trainable branch feeds each input slot (default: one branch per slot); [0, 1, 0]
   * reads a tensor twice, -1 is the model input itself (whose gradient nothing needs).
   */
  feeds?: number[];
}

/** A wrong input that apply() must refuse with a ShapeError naming the layer. */
export interface ShapeErrorCase {
  make: (options: LayerOptions) => Layer;
  /** The wrong per-sample input shapes (one tensor each). */
  inputs: number[][];
  /** Shapes the same layer accepts afterwards (a refused apply leaves it usable). */
  good: number[][];
  /** What the message must say besides the layer's label. */
  message?: RegExp;
}

/** The description of one layer type that `conformance()` turns into tests. */
export interface LayerDef {
  /** The EC role the type must declare. */
  role: ECRole;
  cases: LayerCase[];
  /** Wrong inputs (beyond the wrong input count, which the harness adds from cases[0]). */
  shapeErrors?: ShapeErrorCase[];
  /** Input values (default uniform in [-1, 1)); e.g. away from a kink for finite differences. */
  draw?: (r: Rng, n: number) => Float32Array;
  /** Parameter values for the direct kernel checks (default uniform in [-1, 1)). */
  drawParam?: (r: Rng, p: ParamSpec) => Float32Array;
  /** [rtol, atol] of forward outputs vs the reference (default [1e-4, 1e-5]). */
  forwardTol?: [number, number];
  /**
   * A layer whose training-mode output depends on the whole batch (BatchNorm): the per-sample kernel
   * and model gradient checks are left to the layer's own test; `ref` is the evaluation-mode forward
   * (the files check predicts in evaluation mode).
   */
  batchStatistics?: boolean;
}

// ---------------------------------------------------------------- input draws

/** Uniform values in [lo, hi) with |v| >= margin (away from the kink of ReLU-like layers at 0). */
export function awayFromZero(margin = 1e-2, lo = -2, hi = 2) {
  return (r: Rng, n: number): Float32Array => {
    const x = r.uniform(n, lo, hi);
    for (let i = 0; i < n; i++) if (Math.abs(x[i]) < margin) x[i] = x[i] < 0 ? -margin - 0.25 : margin + 0.25;
    return x;
  };
}

/** n distinct values at least `gap` apart, in random order (no near-ties for max pooling). */
export function distinct(gap = 0.01) {
  return (r: Rng, n: number): Float32Array => {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) { const j = Math.floor(r.next() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    return Float32Array.from(order, (v) => (v - n / 2) * gap);
  };
}

// ---------------------------------------------------------------- small tools

const FD_STEP = 1e-5;          // central differences in float64: truncation O(h²), rounding O(1e-16/h)
const GRAD_TOL: [number, number] = [1e-4, 1e-5];       // kernel gradients (upstream g ~ 1)
const MODEL_GRAD_TOL: [number, number] = [1e-4, 1e-6]; // mean-loss gradients (~1e-2)
const CLASSES = 3;
const EXTRA = 8;               // guard slots after every output

/** d f / d p by central differences, one coordinate at a time. */
export function numericGrad(f: (p: Float64Array) => number, p0: Arr): Float64Array {
  const p = Float64Array.from(p0);
  const g = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    p[i] = v + FD_STEP; const fp = f(p);
    p[i] = v - FD_STEP; const fm = f(p);
    p[i] = v;
    g[i] = (fp - fm) / (2 * FD_STEP);
  }
  return g;
}

const dot = (a: Arr, b: Arr) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };
const f64 = (a: Arr) => Float64Array.from(a);
const expectClose = (got: Arr, want: Arr, what: string, [rtol, atol]: [number, number]) =>
  expect(closeness(got, want, rtol, atol), what).toBeLessThanOrEqual(1);

/** Index of the first element whose bits differ (-1: identical, including length). */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}
const expectSameBits = (a: Float32Array, b: Float32Array, what: string) => expect(firstBitDifference(a, b), `${what}: first differing element`).toBe(-1);

const live: number[] = [];
const track = (p: number) => (live.push(p), p);
const inp = (a: Float32Array) => track(put(a));
const outp = (n: number) => track(putGuarded(n, EXTRA));
const damaged = (p: number, n: number) => guardDamage(p, n, EXTRA);

// ---------------------------------------------------------------- the tiny models

interface TinyGraph {
  x: SymbolicTensor;
  out: SymbolicTensor;
  /** Trainable layers producing the layer's inputs (one per branch), or empty. */
  feeders: Layer[];
  /** Per input slot, the feeder it reads (-1: the model input). */
  slots: number[];
  /** The model's per-sample input shape. */
  inputShape: number[];
  /** The feeder is an identity-initialisable map (single input): the layer sees the model input. */
  identity: boolean;
  head: Dense;
}

/** A trainable map from the model input to one branch's shape (rank 1: Dense, rank 3: valid Conv2D). */
function feederFor(from: number[], to: number[]): Layer {
  if (to.length === 1) return new Dense(from[0], to[0]);
  return new Conv2D(from[0], to[0], [from[1] - to[1] + 1, from[2] - to[2] + 1]);
}

/** input -> feeder(s) -> layer [-> Flatten] -> Dense head (classes). */
function tinyGraph(c: LayerCase, layer: Layer): TinyGraph {
  const join = c.inputs.length > 1;
  let x: SymbolicTensor, feeders: Layer[], slots: number[], inputShape: number[];
  if (!join) {
    inputShape = c.inputs[0].slice();
    const rank = inputShape.length;
    feeders = rank === 1 || rank === 3 ? [feederFor(inputShape, inputShape)] : [];
    slots = [feeders.length ? 0 : -1];
  } else {
    const feeds = c.feeds ?? c.inputs.map((_, i) => i);
    const branches = Math.max(-1, ...feeds) + 1;
    const shapeOf = Array.from({ length: branches }, (_, j) => c.inputs[feeds.indexOf(j)]);
    const rank = c.inputs[0].length;
    const direct = feeds.indexOf(-1);
    if (direct >= 0) inputShape = c.inputs[direct].slice(); // a slot reading the model input itself
    else if (rank === 1) inputShape = [4];
    else if (rank === 3) inputShape = [2, Math.max(...c.inputs.map((s) => s[1])), Math.max(...c.inputs.map((s) => s[2]))];
    else throw new Error(`conformance: joins are tested on rank-1 and rank-3 inputs, got rank ${rank}`);
    feeds.forEach((j, i) => expect(c.inputs[i], `case '${c.name}': slot ${i} has the shape of what feeds it`).toEqual(j < 0 ? inputShape : shapeOf[j]));
    feeders = shapeOf.map((s) => feederFor(inputShape, s));
    slots = feeds;
  }
  x = input(inputShape);
  const branch = feeders.map((f) => f.apply(x));
  const ins = slots.map((j) => (j < 0 ? x : branch[j]));
  const y = layer.apply(join ? ins : ins[0]);
  expect(y.shape, 'apply() output shape').toEqual(c.out);
  const flat = c.out.length > 1 ? new Flatten().apply(y) : y;
  const head = new Dense(sizeOf(c.out), CLASSES);
  return { x, out: head.apply(flat), feeders, slots, inputShape, identity: !join && feeders.length > 0, head };
}

/** The same model as a chain of new layers (layers of one input only). */
function chainLayers(c: LayerCase, t: TinyGraph, layer: Layer): Layer[] {
  const s = t.inputShape;
  return [...(t.feeders.length ? [feederFor(s, s)] : []), layer, ...(c.out.length > 1 ? [new Flatten()] : []), new Dense(sizeOf(c.out), CLASSES)];
}

/** Per layer of the model, its parameter tensors cut from a flat vector (getWeights order). */
function splitter(model: Model): (flat: Arr) => Map<Layer, Float64Array[]> {
  return (flat) => {
    const out = new Map<Layer, Float64Array[]>();
    let o = 0;
    for (const l of model.layers) {
      out.set(l, l.params.map((p) => { const n = sizeOf(p.shape); const t = Float64Array.from({ length: n }, (_, i) => flat[o + i]); o += n; return t; }));
    }
    return out;
  };
}

/** Float64 forward of a feeder (a Dense, or a Conv2D with stride 1, no padding, no dilation). */
function feederRef(f: Layer, ws: Float64Array[], x: Arr, B: number): Float64Array {
  if (f instanceof Dense) return dense_forward_ref(x, ws[0], ws[1] ?? null, B, f.inFeatures, f.outFeatures);
  const cv = f as Conv2D;
  const [C, H, W] = cv.inShape, [O, Ho, Wo] = cv.outShape;
  return conv2d_forward_ref(x, ws[0], ws[1] ?? null, B, { C, H, W, O, KH: cv.kernelH, KW: cv.kernelW, sh: 1, sw: 1, pt: 0, pl: 0, dh: 1, dw: 1, Ho, Wo });
}

/** The logits of the tiny model in float64 from its weights. */
function refLogits(c: LayerCase, t: TinyGraph, layer: Layer, w: Map<Layer, Float64Array[]>, x: Arr, B: number): Float64Array {
  const branches = t.feeders.map((f) => feederRef(f, w.get(f)!, x, B));
  const xs = t.slots.map((j) => (j < 0 ? f64(x) : branches[j]));
  const y = c.ref(xs, w.get(layer)!, B);
  const hw = w.get(t.head)!;
  return dense_forward_ref(y, hw[0], hw[1], B, sizeOf(c.out), CLASSES);
}

/**
 * Gives every parameter tensor that starts constant (biases at 0, PReLU slopes at `init`) random
 * values, so a kernel that ignores a bias or mixes up slopes shows in the model checks too.
 */
function varyConstants(model: Model, def: LayerDef, layer: Layer, seed: number): void {
  const r = rng(seed);
  const ws = model.getWeights();
  let o = 0;
  for (const l of model.layers) {
    l.params.forEach((p, j) => {
      if (p.init !== 'zeros' && p.init !== 'constant') return;
      ws[o + j] = l === layer && def.drawParam ? def.drawParam(r, p) : r.uniform(ws[o + j].length, -0.5, 0.5);
    });
    o += l.params.length;
  }
  model.setWeights(ws);
}

/** Makes every feeder of a single-input model the identity (the layer then sees the drawn input exactly). */
function identityFeeders(model: Model, t: TinyGraph): void {
  if (!t.identity) return;
  const ws = model.getWeights();
  let o = 0;
  for (const l of model.layers) {
    if (l === t.feeders[0]) {
      const n = t.inputShape[0];
      ws[o].fill(0);
      for (let i = 0; i < n; i++) ws[o][i * n + i] = 1; // Dense (n, n) or Conv2D (n, n, 1, 1)
      if (l.params.length > 1) ws[o + 1].fill(0);
    }
    o += l.params.length;
  }
  model.setWeights(ws);
}

// ---------------------------------------------------------------- the checks

/** forward/backward(k, io) of one configuration on guarded buffers, at batch B. */
function kernelCheck(def: LayerDef, c: LayerCase, B: number, seed: number): void {
  const rt = getRuntime();
  const k: Kernels = rt.kernels;
  const layer = c.make({});
  expect(layer.buildInputs(c.inputs.map((s) => s.slice())), 'output shape').toEqual(c.out);
  const join = c.inputs.length > 1;
  const r = rng(seed);
  const inN = c.inputs.map((s) => B * sizeOf(s));
  const per = sizeOf(c.out), outN = B * per;
  const draw = def.draw ?? ((rr: Rng, n: number) => rr.uniform(n));
  const xs = inN.map((n) => draw(r, n));
  const ps = layer.params.map((p) => (def.drawParam ? def.drawParam(r, p) : r.uniform(sizeOf(p.shape))));
  const px = xs.map(inp), pp = ps.map(inp);
  layer.paramPtr = pp;
  const descBytes = layer.descriptorBytes(k);
  if (descBytes > 0) layer.bindDescriptor(k, track(rt.arena.alloc(descBytes, 'test descriptor')));
  const scratchN = Math.ceil(layer.scratchBytes(k, B) / 4);
  const psc = outp(scratchN);
  const cacheN = B * layer.cacheFloatsPerSample();
  const pc = cacheN > 0 ? outp(cacheN) : 0;
  const py = outp(outN);
  const heapBase = k.heap_base();
  const lowMemory = () => hashArrays([new Uint8Array(k.memory.buffer, 0, Math.max(64, heapBase))]);
  const low = lowMemory();
  const ins = () => hashArrays([...px.map((p, i) => get(p, inN[i])), ...pp.map((p, j) => get(p, ps[j].length))]);
  const before = ins();
  const io: LayerIO = { B, x: join ? 0 : px[0], xs: join ? px : undefined, y: py, dy: 0, dx: 0, scratch: psc, cache: pc || undefined };

  // forward vs the float64 reference
  layer.forward(k, io);
  expect(damaged(py, outN), 'writes past y').toBe(0);
  expect(damaged(psc, scratchN), 'writes past the scratch it asked for').toBe(0);
  if (pc) expect(damaged(pc, cacheN), 'writes past its cache').toBe(0);
  expect(ins(), 'forward changed its inputs or parameters').toBe(before);
  const y = get(py, outN);
  const xs64 = xs.map(f64), ps64 = ps.map(f64);
  expectClose(y, c.ref(xs64, ps64, B), 'y vs reference', def.forwardTol ?? [1e-4, 1e-5]);

  // the same bits again, and for each sample alone (results do not depend on the batch split)
  const py2 = outp(outN);
  layer.forward(k, { ...io, y: py2 });
  expectSameBits(get(py2, outN), y, 'second forward');
  if (B > 1) {
    const cf = layer.cacheFloatsPerSample();
    for (let b = 0; b < B; b++) {
      const p1 = outp(per);
      const at = (p: number, i: number) => p + b * sizeOf(c.inputs[i]) * 4;
      layer.forward(k, { ...io, B: 1, x: join ? 0 : at(px[0], 0), xs: join ? px.map(at) : undefined, y: p1, cache: pc ? pc + b * cf * 4 : undefined });
      expectSameBits(get(p1, per), y.subarray(b * per, (b + 1) * per), `sample ${b} alone vs in the batch`);
    }
    layer.forward(k, io); // restore the batch's cache (max-pool argmax)
  }

  // backward: dx and parameter gradients vs central differences of L = sum(g * f(x))
  const g = r.uniform(outN);
  const pg = inp(g);
  const pdx = inN.map((n) => outp(n));
  const pdp = ps.map((p) => outp(p.length));
  layer.gradPtr = pdp;
  const bio: LayerIO = { ...io, dy: pg, dx: join ? 0 : pdx[0], dxs: join ? pdx : undefined };
  const before2 = hashArrays([get(pg, outN), get(py, outN)]);
  layer.backward(k, bio);
  pdx.forEach((p, i) => expect(damaged(p, inN[i]), `writes past dx${join ? ` of input ${i}` : ''}`).toBe(0));
  pdp.forEach((p, j) => expect(damaged(p, ps[j].length), `writes past the gradient of ${layer.params[j].name}`).toBe(0));
  expect(damaged(psc, scratchN), 'backward writes past the scratch it asked for').toBe(0);
  expect(ins(), 'backward changed its inputs or parameters').toBe(before);
  expect(hashArrays([get(pg, outN), get(py, outN)]), 'backward changed dy or y').toBe(before2);
  const L = (xx: Float64Array[], pv: Float64Array[]) => dot(g, c.ref(xx, pv, B));
  xs64.forEach((x, i) => {
    const num = numericGrad((p) => L(xs64.map((v, j) => (j === i ? p : v)), ps64), x);
    expectClose(get(pdx[i], inN[i]), num, `dx${join ? ` of input ${i}` : ''} vs finite differences`, GRAD_TOL);
  });
  ps64.forEach((p0, j) => {
    const num = numericGrad((p) => L(xs64, ps64.map((v, i) => (i === j ? p : v))), p0);
    expectClose(get(pdp[j], p0.length), num, `d${layer.params[j].name} vs finite differences`, GRAD_TOL);
  });

  // dx not needed (dx = 0; a join's first input only): the same parameter-gradient and dx bits
  const pdp2 = ps.map((p) => outp(p.length));
  layer.gradPtr = pdp2;
  const pdx0 = join ? outp(inN[0]) : 0;
  layer.backward(k, { ...bio, dx: 0, dxs: join ? pdx.map((_, i) => (i === 0 ? pdx0 : 0)) : undefined });
  pdp2.forEach((p, j) => expectSameBits(get(p, ps[j].length), get(pdp[j], ps[j].length), `d${layer.params[j].name} with dx = 0`));
  if (join) expectSameBits(get(pdx0, inN[0]), get(pdx[0], inN[0]), 'dx of input 0 alone');
  expect(lowMemory(), 'a 0 pointer was written through').toBe(low);
}

/** The layer in a Model: predict vs the reference, computeGradients vs central differences. */
function modelCheck(def: LayerDef, c: LayerCase, seed: number): void {
  const layer = c.make({});
  const t = tinyGraph(c, layer);
  const model = new Model({ inputs: t.x, outputs: t.out, seed });
  try {
    varyConstants(model, def, layer, seed);
    identityFeeders(model, t);
    const split = splitter(model);
    const specs = model.weightSpecs();
    const tensorLabels = model.layers.flatMap((l) => l.params.map(() => l.describe())).map((d, i) => `${specs[i].name} (${d})`);
    const flat = Float64Array.from(model.getWeights().flatMap((w) => Array.from(w)));
    const r = rng(seed + 1);
    const n = sizeOf(t.inputShape);
    const draw = t.identity && def.draw ? def.draw : (rr: Rng, m: number) => rr.uniform(m);
    let first: { x: Float32Array; labels: Int32Array; B: number; logits: Float32Array; grads: Float32Array[] } | null = null;
    for (const B of c.batches ?? [1, 3]) {
      const x = draw(r, B * n), labels = r.int(B, CLASSES);
      expectClose(model.predict(x, B), refLogits(c, t, layer, split(flat), x, B), `B=${B}: logits vs reference`, def.forwardTol ?? [1e-4, 1e-5]);
      const refLoss = (p: Arr) => softmax_xent_ref(refLogits(c, t, layer, split(p), x, B), labels, B, CLASSES).loss;
      const loss = model.computeGradients(x, labels);
      expectClose([loss], [refLoss(flat)], `B=${B}: loss`, [1e-5, 1e-6]);
      const numeric = numericGrad(refLoss, flat);
      let o = 0;
      model.getGradients().forEach((gr, i) => {
        expectClose(gr, numeric.subarray(o, o + gr.length), `B=${B}: gradient of ${tensorLabels[i]}`, MODEL_GRAD_TOL);
        o += gr.length;
      });
      first ??= { x, labels, B, logits: model.predict(x, B), grads: model.getGradients() };
    }
    // again at the first batch size, after the buffers grew: the same bits (nothing stale, nothing accumulated)
    const { x, labels, B, logits, grads } = first!;
    model.computeGradients(x, labels);
    model.getGradients().forEach((gr, i) => expectSameBits(gr, grads[i], `gradient of ${tensorLabels[i]} recomputed at B=${B}`));
    expectSameBits(model.predict(x, B), logits, `logits recomputed at B=${B}`);
  } finally {
    model.dispose();
  }
}

/** The layer's config, type and parameter specs as a comparable record. */
const layerRecord = (l: Layer) => ({ kind: l.kind, config: l.config(), role: l.ecRole, inShapes: l.inShapes, outShape: l.outShape, params: l.params });

/** Spec and safetensors round trips of the graph model (named layer) and of the chain. */
function filesCheck(type: string, def: LayerDef, c: LayerCase, seed: number): void {
  const name = `blk.0.${type.toLowerCase()}`;
  const layer = c.make({ name });
  const t = tinyGraph(c, layer);
  const model = new Model({ inputs: t.x, outputs: t.out, seed });
  const made: Model[] = [model];
  try {
    varyConstants(model, def, layer, seed);
    identityFeeders(model, t);
    const B = 3;
    const x = rng(seed + 2).uniform(B * sizeOf(t.inputShape));
    const pred = model.predict(x, B);
    const weights = model.getWeights();
    const sameModel = (m: Model, what: string) => {
      const l2 = m.layers.find((l) => l.name === name);
      expect(l2, `${what}: the layer named '${name}'`).toBeDefined();
      expect(layerRecord(l2!), `${what}: the layer`).toEqual(layerRecord(layer));
      expect(m.weightSpecs(), `${what}: tensor names and shapes`).toEqual(model.weightSpecs());
    };

    // graph spec
    const spec = model.toSpec() as unknown as { format: string; nodes: Record<string, unknown>[] };
    expect(spec.format).toBe('ecopt.graph');
    const node = spec.nodes.find((n) => n.name === name);
    expect(node, 'the node of the layer').toEqual({ name, type, inputs: expect.any(Array), ...JSON.parse(JSON.stringify(layer.config())) });
    const inference = Model.fromSpec(spec as never, { training: false });
    made.push(inference);
    inference.setWeights(weights);
    expectSameBits(inference.predict(x, B), pred, 'Model.fromSpec({ training: false }) predictions');
    for (const s of [spec, JSON.stringify(spec)]) {
      const m2 = Model.fromSpec(s as never);
      made.push(m2);
      expect(m2).not.toBeInstanceOf(Sequential);
      expect(m2.toSpec(), 'the rebuilt model writes the same spec').toEqual(spec);
      sameModel(m2, 'Model.fromSpec');
      m2.setWeights(weights);
      expectSameBits(m2.predict(x, B), pred, 'Model.fromSpec predictions');
    }

    // safetensors, tensors named after the layer
    const bytes = model.toSafetensors();
    const names = readSafetensors(bytes).tensors.map((tt) => tt.name).filter((n) => !n.endsWith('.num_batches_tracked'));
    expect(names).toEqual([...model.weightSpecs(), ...model.bufferSpecs()].map((s) => s.name));
    for (const p of layer.params) expect(names).toContain(`${name}.${p.name}`);
    const m3 = Model.fromSafetensors(bytes);
    made.push(m3);
    sameModel(m3, 'Model.fromSafetensors');
    m3.getWeights().forEach((w, i) => expectSameBits(w, weights[i], `Model.fromSafetensors ${names[i]}`));
    expectSameBits(m3.predict(x, B), pred, 'Model.fromSafetensors predictions');

    // the chain case: Sequential, its spec and file
    if (c.inputs.length > 1) return;
    const seqLayer = c.make({});
    const layers = chainLayers(c, t, seqLayer);
    const at = layers.indexOf(seqLayer);
    const seq = new Sequential(layers, { inputShape: t.inputShape, seed });
    made.push(seq);
    seq.setWeights(weights);
    expectSameBits(seq.predict(x, B), pred, 'Sequential vs the functional Model');
    const sspec = seq.toSpec() as unknown as { format: string; layers: Record<string, unknown>[] };
    expect(sspec.format).toBe('ecopt.sequential');
    expect(sspec.layers[at]).toEqual({ type, ...JSON.parse(JSON.stringify(seqLayer.config())) });
    const s2 = Sequential.fromSpec(sspec as never);
    made.push(s2);
    expect(s2).toBeInstanceOf(Sequential);
    expect(s2.toSpec()).toEqual(sspec);
    expect(layerRecord(s2.layers[at])).toEqual(layerRecord(seqLayer));
    s2.setWeights(weights);
    expectSameBits(s2.predict(x, B), pred, 'Sequential.fromSpec predictions');
    const sbytes = seq.toSafetensors();
    const snames = readSafetensors(sbytes).tensors.map((tt) => tt.name);
    for (const p of seqLayer.params) expect(snames).toContain(`${at}.${p.name}`);
    const s3 = Sequential.fromSafetensors(sbytes);
    made.push(s3);
    expect(s3).toBeInstanceOf(Sequential);
    expect(layerRecord(s3.layers[at])).toEqual(layerRecord(seqLayer));
    expectSameBits(s3.predict(x, B), pred, 'Sequential.fromSafetensors predictions');
  } finally {
    for (const m of made) m.dispose();
  }
}

/** apply() refuses `inputs` with a ShapeError naming the layer; the layer accepts `good` afterwards. */
function shapeErrorCheck(e: ShapeErrorCase): void {
  const layer = e.make({ name: 'probe' });
  const ts = e.inputs.map((s) => input(s));
  let err: unknown = null;
  try {
    layer.apply(ts.length === 1 ? ts[0] : ts);
  } catch (caught) {
    err = caught;
  }
  const shapes = JSON.stringify(e.inputs);
  expect(err, `${shapes}: refused`).toBeInstanceOf(ShapeError);
  const message = (err as Error).message;
  expect(message, `${shapes}: the message names the layer`).toContain(layer.label);
  if (e.message) expect(message, shapes).toMatch(e.message);
  expect(layer.output, `${shapes}: nothing applied`).toBeNull();
  const gs = e.good.map((s) => input(s));
  expect(() => layer.apply(gs.length === 1 ? gs[0] : gs), `${shapes}: usable afterwards`).not.toThrow();
}

// ---------------------------------------------------------------- the generated suite

const title = (c: LayerCase) => `${c.name} [${c.inputs.map((s) => s.join('x')).join(' + ')}]`;

/** Generates the conformance tests of one layer type (its `kind`, as a spec names it). */
export function conformance(type: string, def: LayerDef): void {
  describe(`${type} conformance`, () => {
    beforeAll(async () => { await runtime(); });
    afterEach(() => free(...live.splice(0)));

    if (!def.batchStatistics) describe('kernels vs float64 reference on guarded buffers; gradients vs finite differences', () => {
      def.cases.forEach((c, i) => {
        it(`${title(c)}, B=${(c.batches ?? [1, 3]).join(',')}`, () => {
          for (const B of c.batches ?? [1, 3]) kernelCheck(def, c, B, 1000 * i + B);
        });
      });
    });

    if (!def.batchStatistics) describe('in a Model: predict vs reference, computeGradients vs finite differences', () => {
      def.cases.forEach((c, i) => {
        it(title(c), () => modelCheck(def, c, 17 + i));
      });
    });

    describe('spec and safetensors round trips: same config, bit-identical predictions', () => {
      def.cases.forEach((c, i) => {
        it(title(c), () => filesCheck(type, def, c, 31 + i));
      });
    });

    it('apply() refuses wrong input shapes with a ShapeError naming the layer', () => {
      const c = def.cases[0];
      const s = c.inputs[0];
      const arity: ShapeErrorCase = c.inputs.length === 1
        ? { make: c.make, inputs: [s, s], good: c.inputs, message: /takes one input, got 2/ }
        : { make: c.make, inputs: [s], good: c.inputs, message: /at least 2 inputs, got 1/ };
      for (const e of [arity, ...(def.shapeErrors ?? [])]) shapeErrorCheck(e);
    });

    it(`declares ecRole '${def.role}', one of the five roles`, () => {
      expect(EC_ROLES).toContain(def.role);
      for (const c of def.cases) {
        const l = c.make({});
        expect(l.ecRole, c.name).toBe(def.role);
        expect(l.homogeneous, c.name).toBe(def.role !== 'none');
      }
    });

    it('is registered: in LAYER_TYPES; checkLayerFields accepts config() and refuses an unknown field', () => {
      expect(LAYER_TYPES).toContain(type);
      for (const c of def.cases) {
        const l = c.make({});
        expect(l.kind).toBe(type);
        expect(isBuiltinLayer(l)).toBe(true);
        const config = l.config();
        expect(JSON.parse(JSON.stringify(config)), `${c.name}: config() is plain JSON data`).toEqual(config);
        const fields = checkLayerFields({ type, ...config }, 'probe');
        expect(fields, c.name).toEqual({ type, ...config });
        expect(layerFromFields(fields).config(), `${c.name}: layerFromFields`).toEqual(config);
        const bad = () => checkLayerFields({ type, ...config, bogus: 1 }, 'probe');
        expect(bad).toThrow(FormatError);
        expect(bad).toThrow(`probe (${type}): unknown field 'bogus'`);
      }
    });
  });
}
