// Float64 reference oracle for assembly/conv2d.ts: the convolution written as its definition,
// six nested loops, zero padding by bounds checks. Every sum is taken in float64.

type Arr = ArrayLike<number>;

export interface ConvShape {
  C: number; H: number; W: number; O: number; KH: number; KW: number;
  sh: number; sw: number; pt: number; pl: number; dh: number; dw: number; Ho: number; Wo: number;
}

/** Output size for total padding padH/padW along each axis (PyTorch's formula). */
export function convOut(H: number, K: number, stride: number, padTotal: number, dil: number): number {
  return Math.floor((H + padTotal - dil * (K - 1) - 1) / stride) + 1;
}

// x is (B,C,H,W), w is (O,C,KH,KW), bias is (O) or null; y is (B,O,Ho,Wo)
export function conv2d_forward_ref(x: Arr, w: Arr, bias: Arr | null, B: number, s: ConvShape): Float64Array {
  const { C, H, W, O, KH, KW, sh, sw, pt, pl, dh, dw, Ho, Wo } = s;
  const y = new Float64Array(B * O * Ho * Wo);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
    let acc = bias ? bias[o] : 0;
    for (let c = 0; c < C; c++) for (let kh = 0; kh < KH; kh++) {
      const ih = oh * sh + kh * dh - pt;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * sw + kw * dw - pl;
        if (iw < 0 || iw >= W) continue;
        acc += x[((b * C + c) * H + ih) * W + iw] * w[((o * C + c) * KH + kh) * KW + kw];
      }
    }
    y[((b * O + o) * Ho + oh) * Wo + ow] = acc;
  }
  return y;
}

// dy is (B,O,Ho,Wo); returns dx (B,C,H,W), dw (O,C,KH,KW), dbias (O)
export function conv2d_backward_ref(dy: Arr, x: Arr, w: Arr, B: number, s: ConvShape):
  { dx: Float64Array; dw: Float64Array; dbias: Float64Array } {
  const { C, H, W, O, KH, KW, sh, sw, pt, pl, dh, dw: dil, Ho, Wo } = s;
  const dx = new Float64Array(B * C * H * W);
  const dw = new Float64Array(O * C * KH * KW);
  const dbias = new Float64Array(O);
  for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
    const g = dy[((b * O + o) * Ho + oh) * Wo + ow];
    dbias[o] += g;
    for (let c = 0; c < C; c++) for (let kh = 0; kh < KH; kh++) {
      const ih = oh * sh + kh * dh - pt;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * sw + kw * dil - pl;
        if (iw < 0 || iw >= W) continue;
        const xi = ((b * C + c) * H + ih) * W + iw, wi = ((o * C + c) * KH + kh) * KW + kw;
        dw[wi] += g * x[xi];
        dx[xi] += g * w[wi];
      }
    }
  }
  return { dx, dw, dbias };
}
