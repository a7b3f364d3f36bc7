// Dev-only variant for bench/conv-dev.mjs (not part of the product): a direct SIMD Conv2D forward
// for stride 1 without im2col ("implicit GEMM"): the input of one sample is copied once into a
// zero-padded plane, the weights are packed as [O/4][K][4], and a 4x8 register tile (4 output
// channels x 8 output columns, the same 8 accumulators as the GEMM microkernel) walks k = (c,kh,kw)
// through an offset table, loading its 8 input values straight from the padded plane.
export * from '../../assembly/conv2d';
export * from '../../assembly/gemm';

@inline function rd(desc: usize, slot: i32): i32 { return load<i32>(desc + (<usize>slot << 2)); }

export function direct_scratch_bytes(desc: usize): i32 {
  const C = rd(desc, 0), O = rd(desc, 3), KH = rd(desc, 4), KW = rd(desc, 5), dh = rd(desc, 10), dw = rd(desc, 11), Ho = rd(desc, 12), Wo = rd(desc, 13);
  const Hp = Ho - 1 + dh * (KH - 1) + 1, Wp = ((Wo + 7) & ~7) + dw * (KW - 1);
  const K = C * KH * KW;
  return (C * Hp * Wp + ((O + 3) & ~3) * K + K + 64) << 2;
}

export function direct_forward(y: usize, x: usize, w: usize, bias: usize, B: i32, desc: usize, scratch: usize): void {
  const C = rd(desc, 0), H = rd(desc, 1), W = rd(desc, 2), O = rd(desc, 3), KH = rd(desc, 4), KW = rd(desc, 5);
  const pt = rd(desc, 8), pl = rd(desc, 9), dh = rd(desc, 10), dw = rd(desc, 11), Ho = rd(desc, 12), Wo = rd(desc, 13);
  const K = C * KH * KW, P = Ho * Wo;
  const Hp = Ho - 1 + dh * (KH - 1) + 1, Wp = ((Wo + 7) & ~7) + dw * (KW - 1);
  const xp = scratch;
  const wp = xp + (<usize>(C * Hp * Wp) << 2);
  const tbl = wp + (<usize>(((O + 3) & ~3) * K) << 2);
  for (let ob = 0; ob < O; ob += 4) for (let k = 0; k < K; k++) for (let i = 0; i < 4; i++)
    store<f32>(wp + (<usize>((ob * K) + k * 4 + i) << 2), ob + i < O ? load<f32>(w + (<usize>((ob + i) * K + k) << 2)) : 0);
  let k = 0;
  for (let c = 0; c < C; c++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++)
    store<i32>(tbl + (<usize>(k++) << 2), (c * Hp * Wp + kh * dh * Wp + kw * dw) << 2);
  memory.fill(xp, 0, <usize>(C * Hp * Wp) << 2);
  for (let b = 0; b < B; b++) {
    const xb = x + (<usize>(b * C * H * W) << 2);
    for (let c = 0; c < C; c++) for (let ih = 0; ih < H; ih++) {
      const r = ih + pt;
      if (r < 0 || r >= Hp) continue;
      for (let iw = 0; iw < W; iw++) {
        const cc = iw + pl;
        if (cc >= 0 && cc < Wp) store<f32>(xp + (<usize>((c * Hp + r) * Wp + cc) << 2), load<f32>(xb + (<usize>((c * H + ih) * W + iw) << 2)));
      }
    }
    const yb = y + (<usize>(b * O * P) << 2);
    for (let ob = 0; ob < O; ob += 4) {
      const wpb = wp + (<usize>(ob * K) << 2);
      for (let oh = 0; oh < Ho; oh++) {
        for (let ow = 0; ow < Wo; ow += 8) {
          const base = xp + (<usize>(oh * Wp + ow) << 2);
          let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
          let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
          let ap = wpb, tp = tbl;
          const end = tbl + (<usize>K << 2);
          while (tp < end) {
            const s = base + <usize>load<i32>(tp);
            const b0 = v128.load(s), b1 = v128.load(s, 16);
            const a0 = v128.load32_splat(ap, 0);
            c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
            const a1 = v128.load32_splat(ap, 4);
            c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
            const a2 = v128.load32_splat(ap, 8);
            c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
            const a3 = v128.load32_splat(ap, 12);
            c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
            ap += 16; tp += 4;
          }
          // park the 4x8 tile, then store only the valid columns (no write past Wo)
          const tile = (tbl + (<usize>K << 2) + 15) & ~<usize>15;
          v128.store(tile, c00, 0); v128.store(tile, c01, 16); v128.store(tile, c10, 32); v128.store(tile, c11, 48);
          v128.store(tile, c20, 64); v128.store(tile, c21, 80); v128.store(tile, c30, 96); v128.store(tile, c31, 112);
          const n = min(8, Wo - ow);
          for (let i = 0; i < 4 && ob + i < O; i++) {
            const bv: f32 = bias ? load<f32>(bias + (<usize>(ob + i) << 2)) : 0;
            const d = yb + (<usize>((ob + i) * P + oh * Wo + ow) << 2);
            for (let j = 0; j < n; j++) store<f32>(d + (<usize>j << 2), load<f32>(tile + (<usize>(i * 8 + j) << 2)) + bv);
          }
        }
      }
    }
  }
}
