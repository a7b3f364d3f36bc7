// foldBatchNorm(model): a new model for inference in which every BatchNorm that directly follows a
// Conv2D, DepthwiseConv2D or Dense (and is that layer's only reader) is folded into it, with evaluation-mode
// statistics: s = gamma / sqrt(running_var + eps), W' = W * s (per output channel),
// b' = (b - running_mean) * s + beta. Outputs equal the original's in evaluation mode to float32
// rounding; the new model has fewer layers and no batch statistics to compute.
import { ArgumentError } from '../core/errors.js';
import { sizeOf, type Layer } from '../layers/layer.js';
import { Model } from '../graph/model.js';
import { Sequential } from '../graph/sequential.js';
import { consumersOf } from '../graph/graph.js';

type Spec = { format: string; layers?: Record<string, unknown>[]; nodes?: Record<string, unknown>[]; outputs?: string[] };

const isBN = (l: Layer) => l.kind === 'BatchNorm1D' || l.kind === 'BatchNorm2D';

/** The folded copy of `model` (in evaluation mode); `model` is left as it is. */
export function foldBatchNorm(model: Model): Model {
  if (!(model instanceof Model)) throw new ArgumentError('foldBatchNorm: expected a Model or Sequential');
  model.checkAlive('foldBatchNorm');
  const g = model.graph;
  const readers = consumersOf(g);
  // node index of a BatchNorm -> index of the Conv2D/DepthwiseConv2D/Dense it folds into (their weights
  // are (out, ...) with each output channel's values contiguous: the fold scales them per channel)
  const folds = new Map<number, number>();
  g.nodes.forEach((n, i) => {
    if (!isBN(n.layer)) return;
    const t = n.inputs[0];
    const j = t - 1;
    if (j < 0) return;
    const prev = g.nodes[j].layer;
    if ((prev.kind === 'Conv2D' || prev.kind === 'DepthwiseConv2D' || prev.kind === 'Dense') && readers[t].length === 1) folds.set(i, j);
  });
  const foldedInto = new Map([...folds].map(([bn, w]) => [w, bn]));
  const weights = model.getWeights();
  const buffers = model.getBuffers();
  // per layer: its slices of getWeights() and getBuffers()
  let wi = 0, bi = 0;
  const own = g.nodes.map((n) => {
    const w = weights.slice(wi, wi + n.layer.params.length);
    const b = buffers.slice(bi, bi + n.layer.buffers.length);
    wi += n.layer.params.length;
    bi += n.layer.buffers.length;
    return { w, b };
  });

  const spec = JSON.parse(JSON.stringify(model.toSpec())) as Spec;
  const entries = spec.layers ?? spec.nodes!;
  const keep = entries.map((_, i) => !folds.has(i));
  foldedInto.forEach((_, j) => { entries[j].bias = true; });
  if (spec.nodes) {
    // a folded BatchNorm's readers read the layer it folded into; unnamed nodes are renumbered
    const redirect = new Map<string, string>();
    folds.forEach((j, i) => redirect.set(entries[i].name as string, entries[j].name as string));
    const final = new Map<string, string>();
    let k = 0;
    entries.forEach((e, i) => {
      if (folds.has(i)) return;
      const name = e.name as string;
      final.set(name, /^\d+$/.test(name) ? String(k) : name);
      k++;
    });
    const resolve = (n: string) => { const r = redirect.get(n) ?? n; return final.get(r) ?? r; };
    for (const e of entries) e.inputs = (e.inputs as string[]).map(resolve);
    spec.outputs = spec.outputs!.map(resolve);
    entries.forEach((e) => { e.name = final.get(e.name as string) ?? e.name; });
  }
  const kept = entries.filter((_, i) => keep[i]);
  if (spec.layers) spec.layers = kept; else spec.nodes = kept;

  const out = (model instanceof Sequential ? Sequential.fromSpec(spec as never) : Model.fromSpec(spec as never));
  try {
    const ws: Float32Array[] = [];
    const bs: Float32Array[] = [];
    g.nodes.forEach((n, i) => {
      if (folds.has(i)) return;
      const bnIndex = foldedInto.get(i);
      if (bnIndex === undefined) {
        ws.push(...own[i].w);
        bs.push(...own[i].b);
        return;
      }
      const bn = g.nodes[bnIndex].layer as Layer & { eps: number; affine: boolean };
      const [mean, vr] = own[bnIndex].b;
      const [gamma, beta] = bn.affine ? own[bnIndex].w : [null, null];
      const W = own[i].w[0];
      const O = mean.length;
      const per = sizeOf(n.layer.params[0].shape) / O;
      const s = Float64Array.from(mean, (_, o) => (gamma ? gamma[o] : 1) / Math.sqrt(vr[o] + bn.eps));
      ws.push(Float32Array.from(W, (v, idx) => v * s[Math.floor(idx / per)]));
      const b0 = own[i].w[1];
      ws.push(Float32Array.from(mean, (m, o) => ((b0 ? b0[o] : 0) - m) * s[o] + (beta ? beta[o] : 0)));
    });
    out.setWeights(ws);
    if (bs.length) out.setBuffers(bs);
    return out.eval();
  } catch (e) {
    out.dispose();
    throw e;
  }
}
