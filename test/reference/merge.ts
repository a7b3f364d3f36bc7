// Float64 reference oracle for src/layers/merge.ts (Add, Concat): the joins written from their
// definitions on (B, ...shape) batches, by multi-index for Concat (no block arithmetic).

type Arr = ArrayLike<number>;

// xs[i] is (B, n) for every i; y is (B, n) = x_0 + x_1 + ... summed in input order
export function add_forward_ref(xs: Arr[]): Float64Array {
  const y = new Float64Array(xs[0].length);
  for (const x of xs) for (let j = 0; j < y.length; j++) y[j] += x[j];
  return y;
}

/** The per-sample output shape of a concatenation along `axis` (negative counts from the end). */
export function concatShape(shapes: number[][], axis: number): number[] {
  const a = axis < 0 ? shapes[0].length + axis : axis;
  const out = shapes[0].slice();
  out[a] = shapes.reduce((t, s) => t + s[a], 0);
  return out;
}

// xs[i] is (B, ...shapes[i]); y is (B, ...concatShape(shapes, axis)): y[b][..., j, ...] is input
// i's element [..., j - (sizes of the inputs before i along axis), ...]
export function concat_forward_ref(xs: Arr[], shapes: number[][], axis: number, B: number): Float64Array {
  const rank = shapes[0].length;
  const a = axis < 0 ? rank + axis : axis;
  const out = concatShape(shapes, axis);
  const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
  const n = size(out);
  const y = new Float64Array(B * n);
  const idx = new Array<number>(rank);
  for (let b = 0; b < B; b++) {
    for (let j = 0; j < n; j++) {
      let r = j;
      for (let d = rank - 1; d >= 0; d--) { idx[d] = r % out[d]; r = Math.floor(r / out[d]); }
      let i = 0, along = idx[a];
      while (along >= shapes[i][a]) along -= shapes[i++][a];
      let src = 0;
      for (let d = 0; d < rank; d++) src = src * shapes[i][d] + (d === a ? along : idx[d]);
      y[b * n + j] = xs[i][b * size(shapes[i]) + src];
    }
  }
  return y;
}
