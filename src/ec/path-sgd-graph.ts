// Path-SGD on graphs (Neyshabur et al. 2015; shared/docs/ec-opt-graphs.md section 1 for the graph):
// the path-norm factors gamma_in (squared-weight paths from every source into a channel) and
// gamma_out (from a channel to every sink) by dynamic programming over the model's DAG, tensor by
// tensor on the chain kernels (path_gamma_forward/backward); identity edges (activations, pools,
// Flatten, Add, Concat) carry them channel to channel; a BatchNorm's inputs are sinks and its
// outputs start at its per-channel source (gamma) and the bias node (beta).
import type { OptimizerHost } from '../optim/host.js';
import type { Graph } from '../graph/graph.js';
import type { ChannelGraph } from './channels.js';

interface Affine { affine?: boolean; bias?: boolean; axis?: number }

/** Buffers and the per-step passes of Path-SGD on a graph. */
export class GraphPathNorms {
  private readonly gin: number[];
  private readonly igin: number[];
  private readonly gout: number[];
  private readonly tmp: number;
  private readonly ones: number;

  constructor(private readonly host: OptimizerHost, private readonly g: Graph, private readonly cg: ChannelGraph,
    alloc: (bytes: number, what: string) => number) {
    const n = (t: number) => Math.max(4, cg.nch[t]) * 4;
    this.gin = cg.nch.map((_, t) => alloc(n(t), 'gamma_in'));
    this.igin = cg.nch.map((_, t) => alloc(n(t), '1/gamma_in'));
    this.gout = cg.nch.map((_, t) => alloc(n(t), 'gamma_out'));
    const most = Math.max(4, ...cg.nch);
    this.tmp = alloc(most * 4, 'gamma scratch');
    this.ones = alloc(most * 4, 'ones');
    host.kernels.fill_f32(this.ones, most, 1);
  }

  /** One Path-SGD step at learning rate lr; `plain` updates parameters that are not edges (PReLU). */
  step(lr: number, plain: (layer: number) => void): void {
    const k = this.host.kernels, cg = this.cg, g = this.g;
    const { gin, gout, tmp } = this;
    const nT = cg.nch.length;
    k.fill_f32(gin[0], cg.nch[0], 1);
    g.nodes.forEach((node, i) => {
      const t = i + 1, t0 = node.inputs[0], l = node.layer as typeof node.layer & Affine;
      const pw = cg.weightOf[i];
      if (pw >= 0) {
        const p = cg.params[pw];
        k.path_gamma_forward(gin[t], gin[t0], l.paramPtr[0], l.bias ? l.paramPtr[1] : 0, p.O, p.I, p.T);
      } else if (l.ecRole === 'scale-cut') {
        if (l.paramPtr.length >= 2) k.path_gamma_forward(gin[t], this.ones, l.paramPtr[0], l.paramPtr[1], cg.nch[t], 1, 1);
        else k.fill_f32(gin[t], cg.nch[t], 1);
      } else this.identity(node.inputs, t, (dst, src, n) => k.axpy_f32(dst, src, n, 1), gin, true);
    });
    for (let t = 0; t < nT; t++) k.fill_f32(gout[t], cg.nch[t], t === nT - 1 ? 1 : 0);
    for (let i = g.nodes.length - 1; i >= 0; i--) {
      const node = g.nodes[i], t = i + 1, t0 = node.inputs[0], l = node.layer;
      const pw = cg.weightOf[i];
      if (pw >= 0) {
        const p = cg.params[pw];
        k.path_gamma_backward(tmp, gout[t], l.paramPtr[0], p.O, p.I, p.T);
        k.axpy_f32(gout[t0], tmp, cg.nch[t0], 1);
      } else if (l.ecRole === 'scale-cut') k.axpy_f32(gout[t0], this.ones, cg.nch[t0], 1); // BN inputs are sinks
      else this.identity(node.inputs, t, (src, dst, n) => k.axpy_f32(dst, src, n, 1), gout, false);
    }
    cg.nch.forEach((c, t) => k.ec_recip(this.igin[t], gin[t], c));
    g.nodes.forEach((node, i) => {
      const l = node.layer as typeof node.layer & Affine, t = i + 1, t0 = node.inputs[0];
      const pw = cg.weightOf[i];
      if (pw >= 0) {
        const p = cg.params[pw];
        k.path_sgd_update(l.paramPtr[0], l.gradPtr[0], p.O, p.I, p.T, this.igin[t0], gout[t], lr);
        if (l.bias) k.path_sgd_update(l.paramPtr[1], l.gradPtr[1], p.O, 1, 1, this.ones, gout[t], lr);
      } else if (l.ecRole === 'scale-cut') {
        for (let j = 0; j < l.paramPtr.length; j++) k.path_sgd_update(l.paramPtr[j], l.gradPtr[j], cg.nch[t], 1, 1, this.ones, gout[t], lr);
      } else if (l.params.length > 0) plain(i);
    });
  }

  /**
   * Identity edges of a parameter-free node into tensor t: channel k of each input to channel k of
   * the output (Add sums them), or side by side for a Concat along channels. Forward: the output
   * starts at 0 and gathers; backward (forward = false): each input gathers the output's slice.
   */
  private identity(inputs: number[], t: number, add: (a: number, b: number, n: number) => void, v: number[], forward: boolean): void {
    const cg = this.cg;
    if (forward) this.host.kernels.fill_f32(v[t], cg.nch[t], 0);
    const concat = inputs.length > 1 && cg.nch[t] !== cg.nch[inputs[0]];
    let off = 0;
    for (const s of inputs) {
      add(v[t] + 4 * (concat ? off : 0), v[s], cg.nch[s]);
      off += cg.nch[s];
    }
  }
}
