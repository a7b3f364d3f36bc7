// Float64 reference oracle for assembly/depthwise.ts: the depthwise convolution written as its
// definition (output channel o reads input channel floor(o / M)), zero padding by bounds checks.
// Every sum is taken in float64. Imports nothing from src/.
import type { ConvShape } from './conv2d.js';

type Arr = ArrayLike<number>;

// x is (B,C,H,W), w is (O,1,KH,KW) with O = C*M, bias is (O) or null; y is (B,O,Ho,Wo). s.O is O.
export function depthwise_conv2d_forward_ref(x: Arr, w: Arr, bias: Arr | null, B: number, s: ConvShape): Float64Array {
  const { C, H, W, O, KH, KW, sh, sw, pt, pl, dh, dw, Ho, Wo } = s;
  const M = O / C;
  const y = new Float64Array(B * O * Ho * Wo);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
    const c = Math.floor(o / M);
    let acc = bias ? bias[o] : 0;
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * sh + kh * dh - pt;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * sw + kw * dw - pl;
        if (iw < 0 || iw >= W) continue;
        acc += x[((b * C + c) * H + ih) * W + iw] * w[(o * KH + kh) * KW + kw];
      }
    }
    y[((b * O + o) * Ho + oh) * Wo + ow] = acc;
  }
  return y;
}
