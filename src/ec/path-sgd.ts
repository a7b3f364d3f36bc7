// Path-SGD (Neyshabur et al. 2015), the rescaling-invariant peer of EC-SGD: SGD scaled per weight
// by the path norm through it (gamma from two squared-weight passes over the chain; on a model
// with joins or BatchNorm, over its graph: path-sgd-graph.ts).
import { sizeOf } from '../layers/layer.js';
import { Optimizer, type CommonOptions } from '../optim/optimizer.js';
import type { OptimizerHost } from '../optim/host.js';
import { ecStructure, isGraphModel, type ECModel, type ECStructure } from './structure.js';
import { channelGraph } from './channels.js';
import { GraphPathNorms } from './path-sgd-graph.js';
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
