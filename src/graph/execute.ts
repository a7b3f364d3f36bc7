// Forward and backward over a planned graph: nodes in topological order forward, in reverse order
// backward, following the backward schedule of plan.ts (gradients of a fanned-out tensor are summed
// in that fixed order: the same bits for any thread count).
import type { Kernels } from '../core/wasm.js';
import { sizeOf, type LayerIO } from '../layers/layer.js';
import type { Graph } from './graph.js';
import type { BackwardSchedule } from './plan.js';

/** Byte offsets of one capacity's buffers, per tensor / node / gradient slot (0: none). */
export interface BoundBuffers {
  act: number[];
  cache: number[];
  grad: number[];
  temp: number;
  scratch: number;
}

/** Runs every node forward on B samples; the input batch must be in act[0]. */
/** The mode of a pass: training or evaluation, and the seed and step Dropout draws its masks from. */
export interface PassMode { training: boolean; seed: number; step: number }

export function forwardGraph(k: Kernels, g: Graph, buf: BoundBuffers, B: number, mode: PassMode): void {
  const io: LayerIO = { B, x: 0, y: 0, dy: 0, dx: 0, scratch: buf.scratch, ...mode };
  g.nodes.forEach((n, i) => {
    const l = n.layer;
    if (l.isView) return; // its output is its input's bytes
    io.y = buf.act[i + 1];
    io.cache = buf.cache[i];
    if (n.inputs.length === 1) {
      io.x = buf.act[n.inputs[0]];
      io.xs = undefined;
    } else {
      io.x = 0;
      io.xs = n.inputs.map((t) => buf.act[t]);
    }
    l.forward(k, io);
  });
}

/**
 * Runs every node backward from the gradient of the output, which must be in its slot. Fills the
 * parameter gradients of every layer (each layer is one node, so each is written exactly once).
 */
export function backwardGraph(k: Kernels, g: Graph, sched: BackwardSchedule, buf: BoundBuffers, B: number, mode: PassMode): void {
  const io: LayerIO = { B, x: 0, y: 0, dy: 0, dx: 0, scratch: buf.scratch, ...mode };
  const gradOf = (t: number) => buf.grad[sched.slotOf[t]];
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    if (!sched.runs[i]) continue;
    const n = g.nodes[i];
    const l = n.layer;
    const modes = sched.modes[i];
    const dy = gradOf(i + 1);
    if (l.isView) {
      // no kernel: the input's gradient is dy's bytes (alias), a copy, or a sum into it
      const t = n.inputs[0];
      const count = B * sizeOf(g.shapes[t]);
      if (modes[0] === 'write') k.copy_bytes(gradOf(t), dy, count * 4);
      else if (modes[0] === 'accumulate') k.axpy_f32(gradOf(t), dy, count, 1);
      continue;
    }
    const targets = n.inputs.map((t, s) => (modes[s] === 'write' ? gradOf(t) : modes[s] === 'accumulate' ? buf.temp : 0));
    io.y = buf.act[i + 1];
    io.dy = dy;
    io.cache = buf.cache[i];
    if (n.inputs.length === 1) {
      io.x = buf.act[n.inputs[0]];
      io.dx = targets[0];
      io.xs = io.dxs = undefined;
      l.backward(k, io);
      if (modes[0] === 'accumulate') k.axpy_f32(gradOf(n.inputs[0]), buf.temp, B * sizeOf(g.shapes[n.inputs[0]]), 1);
      continue;
    }
    // a join: inputs that accumulate take turns in the temporary, in slot order
    io.x = io.dx = 0;
    io.xs = n.inputs.map((t) => buf.act[t]);
    const first = modes.findIndex((m) => m === 'accumulate');
    io.dxs = targets.map((p, s) => (modes[s] === 'accumulate' && s !== first ? 0 : p));
    l.backward(k, io);
    modes.forEach((m, s) => {
      if (m !== 'accumulate') return;
      if (s !== first) {
        io.dxs = targets.map((_, j) => (j === s ? buf.temp : 0));
        l.backward(k, io);
      }
      k.axpy_f32(gradOf(n.inputs[s]), buf.temp, B * sizeOf(g.shapes[n.inputs[s]]), 1);
    });
  }
}
