// Float64 reference oracle for assembly/pool2d.ts: window loops as in the definitions.
// Max pooling picks the first maximum in (kh, kw) order, as the kernel does.

type Arr = ArrayLike<number>;

export interface PoolShape { C: number; H: number; W: number; KH: number; KW: number; sh: number; sw: number; Ho: number; Wo: number }

export function poolOut(H: number, K: number, stride: number): number {
  return Math.floor((H - K) / stride) + 1;
}

// x is (B,C,H,W); y is (B,C,Ho,Wo); argmax (B,C,Ho,Wo) = index in the H*W plane
export function maxpool2d_forward_ref(x: Arr, B: number, s: PoolShape): { y: Float64Array; argmax: Int32Array } {
  const { C, H, W, KH, KW, sh, sw, Ho, Wo } = s;
  const y = new Float64Array(B * C * Ho * Wo);
  const argmax = new Int32Array(B * C * Ho * Wo);
  for (let bc = 0; bc < B * C; bc++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
    let best = -Infinity, bi = -1;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const i = (oh * sh + kh) * W + ow * sw + kw;
      const v = x[bc * H * W + i];
      if (bi < 0 || v > best) { best = v; bi = i; }
    }
    y[(bc * Ho + oh) * Wo + ow] = best;
    argmax[(bc * Ho + oh) * Wo + ow] = bi;
  }
  return { y, argmax };
}

export function maxpool2d_backward_ref(dy: Arr, argmax: ArrayLike<number>, B: number, s: PoolShape): Float64Array {
  const { C, H, W, Ho, Wo } = s;
  const dx = new Float64Array(B * C * H * W);
  for (let bc = 0; bc < B * C; bc++) for (let o = 0; o < Ho * Wo; o++) dx[bc * H * W + argmax[bc * Ho * Wo + o]] += dy[bc * Ho * Wo + o];
  return dx;
}

export function avgpool2d_forward_ref(x: Arr, B: number, s: PoolShape): Float64Array {
  const { C, H, W, KH, KW, sh, sw, Ho, Wo } = s;
  const y = new Float64Array(B * C * Ho * Wo);
  for (let bc = 0; bc < B * C; bc++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
    let acc = 0;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) acc += x[bc * H * W + (oh * sh + kh) * W + ow * sw + kw];
    y[(bc * Ho + oh) * Wo + ow] = acc / (KH * KW);
  }
  return y;
}

export function avgpool2d_backward_ref(dy: Arr, B: number, s: PoolShape): Float64Array {
  const { C, H, W, KH, KW, sh, sw, Ho, Wo } = s;
  const dx = new Float64Array(B * C * H * W);
  for (let bc = 0; bc < B * C; bc++) for (let oh = 0; oh < Ho; oh++) for (let ow = 0; ow < Wo; ow++) {
    const g = dy[(bc * Ho + oh) * Wo + ow] / (KH * KW);
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) dx[bc * H * W + (oh * sh + kh) * W + ow * sw + kw] += g;
  }
  return dx;
}

// x is (B,C,HW); y is (B,C)
export function global_avgpool_forward_ref(x: Arr, B: number, C: number, HW: number): Float64Array {
  const y = new Float64Array(B * C);
  for (let bc = 0; bc < B * C; bc++) {
    let acc = 0;
    for (let i = 0; i < HW; i++) acc += x[bc * HW + i];
    y[bc] = acc / HW;
  }
  return y;
}

export function global_avgpool_backward_ref(dy: Arr, B: number, C: number, HW: number): Float64Array {
  const dx = new Float64Array(B * C * HW);
  for (let bc = 0; bc < B * C; bc++) for (let i = 0; i < HW; i++) dx[bc * HW + i] = dy[bc] / HW;
  return dx;
}
