// Float64 reference oracle for assembly/channel-pad.ts: zero channels before and after the input's,
// the input subsampled as x[:, :, ::sh, ::sw]. Imports nothing from src/.

type Arr = ArrayLike<number>;

// x is (B,C,H,W); y is (B, before+C+after, ceil(H/sh), ceil(W/sw))
export function channel_pad_forward_ref(x: Arr, B: number, C: number, H: number, W: number, before: number, after: number, sh: number, sw: number): Float64Array {
  const Ho = Math.ceil(H / sh), Wo = Math.ceil(W / sw), O = before + C + after;
  const y = new Float64Array(B * O * Ho * Wo);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
    y[((b * O + before + c) * Ho + oh) * Wo + ow] = x[((b * C + c) * H + oh * sh) * W + ow * sw];
  }
  return y;
}
