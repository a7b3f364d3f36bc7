// The input shape of a chain when its caller gave none (Sequential and sequential specs): from a
// first Dense's inFeatures, or the smallest square [C, S, S] that a Conv2D stack accepts.
import { ShapeError } from '../core/errors.js';
import { sizeOf, type Layer } from '../layers/layer.js';

/**
 * The per-sample input shape when the caller gave none: [inFeatures] for a first Dense; for a
 * first Conv2D (or pool) the smallest square [C, S, S] (S <= 1024) for which every layer's shape
 * fits (a later Dense fixes S; with floor-rounding pools several S can fit and the smallest is
 * taken, e.g. 28 for MNIST); otherwise an error asking for inputShape.
 *
 * Linear in the number of layers: every conv/pool output size is non-decreasing in S, so the
 * flattened size reaching the first Dense is too, and a binary search over S finds the smallest
 * S that is not too small (about 10 shape passes instead of up to 1024).
 */
export function inferInputShape(layers: Layer[]): number[] {
  const first = layers[0] as Layer & { inFeatures?: number; inChannels?: number };
  if (typeof first.inFeatures === 'number') return [first.inFeatures];
  const ask = `pass { inputShape: [C, H, W] } to Sequential`;
  if (typeof first.inChannels !== 'number') {
    throw new ShapeError(`Sequential: cannot infer the input shape from the first layer (${first.kind}); pass { inputShape }`);
  }
  const C = first.inChannels;
  // 'small': S too small (a window does not fit, or fewer features than the first Dense takes);
  // 'large': more features than the first Dense takes; 'fits'; 'never': fails for a reason S does not change
  const attempt = (S: number): 'small' | 'large' | 'fits' | 'never' => {
    let shape = [C, S, S];
    let i = 0;
    try {
      for (; i < layers.length; i++) {
        const l = layers[i] as Layer & { inFeatures?: number };
        if (typeof l.inFeatures === 'number') {
          const n = sizeOf(shape);
          if (n < l.inFeatures) return 'small';
          if (n > l.inFeatures) return 'large';
          break;
        }
        shape = l.build(shape);
      }
    } catch {
      return 'small';
    }
    try {
      for (; i < layers.length; i++) shape = layers[i].build(shape);
    } catch {
      return 'never';
    }
    return shape.length === 1 ? 'fits' : 'never';
  };
  let lo = 1, hi = 1024;
  if (attempt(hi) === 'small') hi = -1;
  while (hi > 0 && lo < hi) {
    const mid = (lo + hi) >> 1;
    if (attempt(mid) === 'small') lo = mid + 1;
    else hi = mid;
  }
  if (hi < 0 || attempt(lo) !== 'fits') {
    throw new ShapeError(`Sequential: cannot infer the input size of ${first.kind}: no square input up to 1024x1024 fits the layers; ${ask}`);
  }
  return [C, lo, lo];
}

