// Path-SGD (Neyshabur et al. 2015), the rescaling-invariant peer of EC-SGD: SGD scaled per weight
// by the path norm through it (gamma from two squared-weight passes over the chain; on a model
// with joins or BatchNorm, over its graph: GraphPathNorms below, by dynamic programming over the DAG,
// tensor by tensor on the chain kernels; identity edges (activations, pools, Flatten, Add, Concat)
// carry gamma channel to channel; a BatchNorm's inputs are sinks and its outputs start at its
// per-channel source (gamma) and the bias node (beta)).
import { sizeOf } from '../layers/layer.js';
import { Optimizer, type CommonOptions } from '../optim/optimizer.js';
import type { OptimizerHost } from '../optim/host.js';
import { ecStructure, isGraphModel, type ECModel, type ECStructure } from './structure.js';
import { channelGraph, type ChannelGraph } from './channels.js';
import type { Graph } from '../graph/graph.js';
import { ArgumentError } from '../core/errors.js';

/**
 * Path-SGD (Neyshabur, Salakhutdinov & Srebro 2015): w_e -= lr * dL/dw_e / gamma_e with
 * gamma_e = gamma_in(tail) * gamma_out(head), exact from a forward and a backward pass of squared
 * weights (on the unit graph; biases enter gamma_in). Rescaling-equivariant, basis-free.
 */
export class PathSGD extends Optimizer {
  readonly kind = 'PathSGD';
  readonly structure: ECStructure;
  private gin: number[] = [];
  private igin: number[] = [];
  private gout: number[] = [];
  private ones = 0;
  private graph: GraphPathNorms | null = null;
  constructor(model: OptimizerHost, options: { lr: number } & CommonOptions) {
    super(model, options?.lr);
    this.takeCommonOptions(options ?? {}, 'PathSGD', false);
    this.structure = ecStructure(model, 'PathSGD');
    if (isGraphModel(model)) {
      const g = (model as ECModel).graph!;
      const cg = channelGraph(g);
      if (cg.refused.length) throw new ArgumentError(`PathSGD: path norms need a ReLU-family graph: ${cg.refused.join('; ')}`);
      try {
        this.graph = new GraphPathNorms(model, g, cg, (bytes, what) => this.allocBlock(bytes, what));
      } catch (e) {
        this.releaseBlocks();
        throw e;
      }
      this.attach(0);
      return;
    }
    const maxW = Math.max(...this.structure.widths);
    try {
      this.ones = this.allocBlock(maxW * 4, 'ones');
      this.gin = this.structure.widths.map((h) => this.allocBlock(h * 4, 'gamma_in'));
      this.igin = this.structure.widths.map((h) => this.allocBlock(h * 4, '1/gamma_in'));
      this.gout = this.structure.widths.map((h) => this.allocBlock(h * 4, 'gamma_out'));
    } catch (e) {
      this.releaseBlocks();
      throw e;
    }
    this.attach(0);
    model.kernels.fill_f32(this.ones, maxW, 1);
  }
  protected update(): void {
    const k = this.model.kernels;
    if (this.graph) {
      this.graph.step(this.lr, (li) => {
        const layer = this.model.layers[li];
        layer.params.forEach((p, j) => k.sgd_update(layer.paramPtr[j], layer.gradPtr[j], sizeOf(p.shape), this.lr, 0));
      });
      return;
    }
    const st = this.structure;
    const L = st.layers.length;
    k.copy_bytes(this.gin[0], this.ones, st.widths[0] * 4);
    for (let l = 1; l <= L; l++) {
      const x = st.layers[l - 1];
      k.path_gamma_forward(this.gin[l], this.gin[l - 1], x.layer.paramPtr[0], x.hasBias ? x.layer.paramPtr[1] : 0, x.O, x.I, x.T);
    }
    k.copy_bytes(this.gout[L], this.ones, st.widths[L] * 4);
    for (let l = L; l >= 2; l--) {
      const x = st.layers[l - 1];
      k.path_gamma_backward(this.gout[l - 1], this.gout[l], x.layer.paramPtr[0], x.O, x.I, x.T);
    }
    st.widths.forEach((h, l) => k.ec_recip(this.igin[l], this.gin[l], h));
    for (let l = 1; l <= L; l++) {
      const x = st.layers[l - 1];
      k.path_sgd_update(x.layer.paramPtr[0], x.layer.gradPtr[0], x.O, x.I, x.T, this.igin[l - 1], this.gout[l], this.lr);
      if (x.hasBias) k.path_sgd_update(x.layer.paramPtr[1], x.layer.gradPtr[1], x.O, 1, 1, this.ones, this.gout[l], this.lr);
    }
    for (const li of st.plainParamLayers) {
      const layer = this.model.layers[li];
      layer.params.forEach((p, j) => k.sgd_update(layer.paramPtr[j], layer.gradPtr[j], sizeOf(p.shape), this.lr, 0));
    }
  }
  options(): Record<string, unknown> {
    return { lr: this.lr, ...this.commonOptions() };
  }
  override dispose(): void {
    super.dispose();
    this.gin = []; this.igin = []; this.gout = [];
  }
}

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
