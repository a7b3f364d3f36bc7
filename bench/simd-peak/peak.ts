// SIMD peak microkernels (bench only, compiled on their own by bench/simd-peak.mjs): the fastest
// f32x4 multiply-add loops this engine runs, to put the product's GEMM in proportion.
//   chains<N>:  N independent accumulators acc_i = acc_i + a_i * b (mul then add, or relaxed_madd
//               when built with --enable relaxed-simd), operands in registers: the arithmetic peak.
//   tile4x8:    the GEMM microkernel's own shape (4 rows x 8 columns = 8 accumulators, 2 loads of B
//               and 4 broadcasts of A per k) over L1-resident panels: the peak with its loads.
//   clock:      a chain of dependent i32 adds (1 cycle each on x86): iterations/s ~ the core clock.
// Each returns a value derived from every accumulator so nothing is optimised away.

// @ts-ignore: decorator
@inline function fma(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline function sum4(a: v128, b: v128, c: v128, d: v128): f32 {
  return f32x4.extract_lane(f32x4.add(f32x4.add(a, b), f32x4.add(c, d)), 0);
}

export function chains4(iters: i32, s: f32): f32 {
  const b = f32x4.splat(0.999), a0 = f32x4.splat(s), a1 = f32x4.splat(s * 0.5), a2 = f32x4.splat(s * 0.25), a3 = f32x4.splat(s * 0.125);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0;
  for (let i = 0; i < iters; i++) { c0 = fma(c0, a0, b); c1 = fma(c1, a1, b); c2 = fma(c2, a2, b); c3 = fma(c3, a3, b); }
  return sum4(c0, c1, c2, c3);
}

export function chains8(iters: i32, s: f32): f32 {
  const b = f32x4.splat(0.999), a0 = f32x4.splat(s), a1 = f32x4.splat(s * 0.5);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
  for (let i = 0; i < iters; i++) {
    c0 = fma(c0, a0, b); c1 = fma(c1, a1, b); c2 = fma(c2, a0, b); c3 = fma(c3, a1, b);
    c4 = fma(c4, a0, b); c5 = fma(c5, a1, b); c6 = fma(c6, a0, b); c7 = fma(c7, a1, b);
  }
  return sum4(c0, c1, c2, c3) + sum4(c4, c5, c6, c7);
}

export function chains10(iters: i32, s: f32): f32 {
  const b = f32x4.splat(0.999), a0 = f32x4.splat(s), a1 = f32x4.splat(s * 0.5);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0;
  for (let i = 0; i < iters; i++) {
    c0 = fma(c0, a0, b); c1 = fma(c1, a1, b); c2 = fma(c2, a0, b); c3 = fma(c3, a1, b); c4 = fma(c4, a0, b);
    c5 = fma(c5, a1, b); c6 = fma(c6, a0, b); c7 = fma(c7, a1, b); c8 = fma(c8, a0, b); c9 = fma(c9, a1, b);
  }
  return sum4(c0, c1, c2, c3) + sum4(c4, c5, c6, c7) + f32x4.extract_lane(f32x4.add(c8, c9), 0);
}

export function chains12(iters: i32, s: f32): f32 {
  const b = f32x4.splat(0.999), a0 = f32x4.splat(s);
  let c0 = f32x4.splat(0), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
  for (let i = 0; i < iters; i++) {
    c0 = fma(c0, a0, b); c1 = fma(c1, a0, b); c2 = fma(c2, a0, b); c3 = fma(c3, a0, b); c4 = fma(c4, a0, b); c5 = fma(c5, a0, b);
    c6 = fma(c6, a0, b); c7 = fma(c7, a0, b); c8 = fma(c8, a0, b); c9 = fma(c9, a0, b); c10 = fma(c10, a0, b); c11 = fma(c11, a0, b);
  }
  return sum4(c0, c1, c2, c3) + sum4(c4, c5, c6, c7) + sum4(c8, c9, c10, c11);
}

// The 4x8 GEMM microkernel over packed panels: a (K x 4), b (K x 8), both L1-resident, K = kc.
// flops per call: 2 * 4 * 8 * kc
export function tile4x8(a: usize, b: usize, kc: i32, reps: i32): f32 {
  let total: f32 = 0;
  for (let r = 0; r < reps; r++) {
    let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    let pa = a, pb = b;
    for (let k = 0; k < kc; k++) {
      const b0 = v128.load(pb), b1 = v128.load(pb, 16);
      const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4), a2 = v128.load32_splat(pa, 8), a3 = v128.load32_splat(pa, 12);
      c00 = fma(c00, a0, b0); c01 = fma(c01, a0, b1);
      c10 = fma(c10, a1, b0); c11 = fma(c11, a1, b1);
      c20 = fma(c20, a2, b0); c21 = fma(c21, a2, b1);
      c30 = fma(c30, a3, b0); c31 = fma(c31, a3, b1);
      pa += 16; pb += 32;
    }
    total += sum4(c00, c01, c10, c11) + sum4(c20, c21, c30, c31);
  }
  return total;
}

export function clock(iters: i32, seed: i32): i32 {
  let x = seed;
  for (let i = 0; i < iters; i++) { x += i; x ^= 0x5bd1e995; }
  return x;
}
