// The memory plan of a graph, computed in safe integers before anything is allocated:
// - the parameter region: every tensor 16-byte aligned, node order, 'weight' before 'bias' (the
//   layout v0.1 checkpoints and the EC kernels rely on);
// - the backward schedule: for every node input, whether its gradient is skipped, written, or
//   accumulated (a fanned-out tensor: the first consumer in reverse order writes, later ones write a
//   temporary that is added in that fixed order, so the sum is the same for any thread count);
// - the batch buffers for B samples: one activation buffer per node output (a view shares its
//   input's), the layers' caches, and activation-gradient buffers shared by lifetime (live from the
//   first write to the producer's backward; on a chain this is two ping-pong buffers, as in v0.1).
import { bufferBytes, addBytes, MAX_BUFFER_BYTES } from '../core/sizes.js';
import { MemoryError, ShapeError } from '../core/errors.js';
import type { Kernels } from '../core/wasm.js';
import { sizeOf, type ParamSpec } from '../layers/layer.js';
import { checkNames, checkOutputShape, consumersOf, gradientNeeded, outputTensor, type Graph } from './graph.js';

/** Where each parameter tensor lives in the parameter region (float offsets), node by node. */
export interface ParamLayout {
  offsets: number[][];
  /** Region length in floats (at least 4). */
  regionFloats: number;
  /** Trainable scalars without padding. */
  count: number;
}

/** Lays the parameters out and refuses a region that cannot exist (MemoryError naming the size). */
export function paramLayout(g: Graph, who: string, of: (l: Graph['nodes'][number]['layer']) => ParamSpec[] = (l) => l.params): ParamLayout {
  let floats = 0;
  let count = 0;
  const offsets = g.nodes.map((n) => of(n.layer).map((p: ParamSpec) => {
    const off = floats;
    const size = sizeOf(p.shape);
    count += size;
    floats += Math.ceil(size / 4) * 4;
    return off;
  }));
  const regionFloats = Math.max(4, floats);
  const bytes = regionFloats * 4;
  if (!Number.isSafeInteger(bytes) || bytes > MAX_BUFFER_BYTES) {
    throw new MemoryError(`${who}: the model does not fit in WebAssembly memory: its ${count} parameters need ${bytes} bytes ` +
      `(${(bytes / 2 ** 30).toFixed(2)} GiB), and with their gradients ${2 * bytes} bytes, before activations and optimizer state; ` +
      `one region may hold at most ${MAX_BUFFER_BYTES} bytes and all of wasm memory is limited to 4 GiB`, 2 * bytes, 0);
  }
  return { offsets, regionFloats, count };
}

/** How a node's backward treats the gradient of one of its inputs. */
export type GradMode = 'skip' | 'write' | 'accumulate' | 'alias';

/** The backward pass of a graph, fixed once: per node and input slot, and the buffer each gradient uses. */
export interface BackwardSchedule {
  /** Per node: does its backward run at all (false when nothing upstream is trainable). */
  runs: boolean[];
  /** Per node, per input slot. 'alias': a view whose input's gradient is its output's buffer. */
  modes: GradMode[][];
  /** Per tensor: the gradient slot it lives in (-1: none), slots shared by lifetime. */
  slotOf: number[];
  /** Per slot: the largest per-sample size it holds. */
  slotSizes: number[];
  /** Per-sample size of the accumulation temporary (0: no fan-out). */
  tempSize: number;
}

/** Builds the backward schedule and assigns gradient buffers by lifetime (lowest free slot first). */
export function backwardSchedule(g: Graph): BackwardSchedule {
  const need = gradientNeeded(g);
  const consumers = consumersOf(g);
  const size = g.shapes.map((s) => sizeOf(s));
  const out = outputTensor(g);
  const runs = g.nodes.map((_, i) => need[i + 1]);
  const modes: GradMode[][] = g.nodes.map((n) => n.inputs.map(() => 'skip' as GradMode));
  const slotOf = g.shapes.map(() => -1);
  const slotSizes: number[] = [];
  const free: number[] = [];
  let tempSize = 0;
  const take = (t: number) => {
    free.sort((a, b) => a - b);
    const s = free.length ? free.shift()! : slotSizes.push(0) - 1;
    slotSizes[s] = Math.max(slotSizes[s], size[t]);
    slotOf[t] = s;
  };
  // a slot is freed after the backward of the last node that reads it: the producer of the
  // earliest tensor living in it (aliases chain a view's input onto its output's slot)
  const holders = new Map<number, number[]>();
  const hold = (t: number) => holders.set(slotOf[t], [...(holders.get(slotOf[t]) ?? []), t]);
  take(out);
  hold(out);
  const written = g.shapes.map(() => false);
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    if (!runs[i]) continue;
    const node = g.nodes[i];
    node.inputs.forEach((t, slot) => {
      if (!need[t]) return;
      if (written[t]) {
        modes[i][slot] = 'accumulate';
        tempSize = Math.max(tempSize, size[t]);
        return;
      }
      written[t] = true;
      if (node.layer.isView && consumers[t].length === 1) {
        modes[i][slot] = 'alias';
        slotOf[t] = slotOf[i + 1];
      } else {
        modes[i][slot] = 'write';
        take(t);
      }
      hold(t);
    });
    // the output tensor of node i is read for the last time now: release its slot if no tensor
    // still waiting for its producer's backward lives there
    const s = slotOf[i + 1];
    const waiting = (holders.get(s) ?? []).filter((t) => t !== 0 && t - 1 < i && need[t]);
    holders.set(s, waiting);
    if (waiting.length === 0) free.push(s);
  }
  return { runs, modes, slotOf, slotSizes, tempSize };
}

/** The batch buffers of one capacity: indexes into `sizes` (one block each), -1 for none. */
export interface BatchLayout {
  sizes: { what: string; bytes: number }[];
  /** Per tensor: its activation buffer (a view's output shares its input's). */
  act: number[];
  /** Per node: its cache buffer. */
  cache: number[];
  /** Per gradient slot. */
  grad: number[];
  temp: number;
  /** The targets: B class labels (i32) or B × outputs floats. */
  labels: number;
  scratch: number;
  misc: number;
  total: number;
}

/**
 * Sizes every per-batch buffer for B samples in safe integers (ShapeError/MemoryError naming the
 * buffer and the batch) and checks the total against the arena's limit, before any allocation.
 */
export function batchLayout(g: Graph, sched: BackwardSchedule, k: Kernels, B: number, limitBytes: number, who: string, training: boolean,
  targetWidth = 1): BatchLayout {
  const sizes: { what: string; bytes: number }[] = [];
  const plan = (elements: number, what: string) => {
    sizes.push({ what, bytes: bufferBytes(elements, `${who}: ${what} for a batch of ${B}`, B) });
    return sizes.length - 1;
  };
  const act = [plan(B * sizeOf(g.shapes[0]), 'the input batch')];
  let scratch = 16;
  g.nodes.forEach((n, i) => {
    const l = n.layer;
    const sb = l.scratchBytes(k, B);
    if (!Number.isSafeInteger(sb) || sb > MAX_BUFFER_BYTES) {
      throw new ShapeError(`${who}: ${l.label} needs ${sb} bytes of scratch, more than the ${MAX_BUFFER_BYTES} bytes one buffer may have`);
    }
    scratch = Math.max(scratch, sb);
    act.push(l.isView ? act[n.inputs[0]] : plan(B * sizeOf(g.shapes[i + 1]), `the activations of ${l.label}`));
  });
  const cache = g.nodes.map((n) => (n.layer.cacheFloats(B) > 0 ? plan(n.layer.cacheFloats(B), `the cache of ${n.layer.label}`) : -1));
  // a model for inference only never runs backward: no gradient buffers
  const grad = training ? sched.slotSizes.map((s) => plan(B * s, 'activation gradients')) : [];
  const temp = training && sched.tempSize > 0 ? plan(B * sched.tempSize, 'the gradient sum of a fanned-out tensor') : -1;
  const labels = plan(B * targetWidth, targetWidth === 1 ? 'labels' : 'targets');
  sizes.push({ what: 'scratch', bytes: scratch });
  const scratchIx = sizes.length - 1;
  const misc = plan(4, 'misc');
  let total = 0;
  for (const z of sizes) total = addBytes(total, z.bytes, `${who}: buffers for a batch of ${B}`);
  if (total > limitBytes) {
    throw new MemoryError(`${who}: a batch of ${B} needs ${total} bytes of buffers (${(total / 2 ** 30).toFixed(2)} GiB), more than ` +
      `all of wasm memory (${limitBytes} bytes); use a smaller batch`, total, limitBytes);
  }
  return { sizes, act, cache, grad, temp, labels, scratch: scratchIx, misc, total };
}

/** Indexes the layers, checks names and the output, lays out parameters, fixes the backward pass. */
export function planGraph(g: Graph, kind: string): { layout: ParamLayout; buffers: ParamLayout; outputShape: number[]; schedule: BackwardSchedule } {
  try {
    g.nodes.forEach((n, i) => { n.layer.index = i; });
    checkNames(g, kind);
    return {
      outputShape: checkOutputShape(g, kind).slice(), layout: paramLayout(g, kind), buffers: paramLayout(g, kind, (l) => l.buffers),
      schedule: backwardSchedule(g),
    };
  } catch (e) {
    for (const n of g.nodes) n.layer.index = -1; // the layers stay usable (their symbolic outputs too)
    throw e;
  }
}
