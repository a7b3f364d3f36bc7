// Seeded randomness computed inside wasm so every engine produces bit-identical numbers
// (JS Math.* differs between engines). Counter-based: value i of stream s under seed k is
// splitmix64(key(k, s) + i * golden), so any element can be regenerated independently.

// @ts-ignore: decorator
@inline export function mix64(z: u64): u64 {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// @ts-ignore: decorator
@inline export function streamKey(seedLo: u32, seedHi: u32, stream: u32): u64 {
  return mix64(((<u64>seedHi << 32) | <u64>seedLo) ^ mix64(<u64>stream + 0x632be59bd9b4e019));
}

// @ts-ignore: decorator
@inline function uniform01(key: u64, i: u64): f64 {
  // 53 random bits -> [0, 1)
  return <f64>(mix64(key + (i + 1) * 0x9e3779b97f4a7c15) >> 11) * 1.1102230246251565e-16;
}

// x[0..n) ~ U(-bound, bound), bound = sqrt(3 * variance)
export function init_uniform(x: usize, n: i32, seedLo: u32, seedHi: u32, stream: u32, variance: f64): void {
  const key = streamKey(seedLo, seedHi, stream);
  const bound = Math.sqrt(3.0 * variance);
  for (let i = 0; i < n; i++) {
    const u = uniform01(key, <u64>i);
    store<f32>(x + (<usize>i << 2), <f32>((2.0 * u - 1.0) * bound));
  }
}

// x[0..n) ~ N(0, variance), Box-Muller on pairs (AssemblyScript's own log/cos/sin: identical in every engine).
export function init_normal(x: usize, n: i32, seedLo: u32, seedHi: u32, stream: u32, variance: f64): void {
  const key = streamKey(seedLo, seedHi, stream);
  const std = Math.sqrt(variance);
  for (let i = 0; i < n; i += 2) {
    const u1 = 1.0 - uniform01(key, <u64>i);       // (0, 1]
    const u2 = uniform01(key, <u64>i + 1);
    const r = Math.sqrt(-2.0 * Math.log(u1)) * std;
    const th = 6.283185307179586 * u2;
    store<f32>(x + (<usize>i << 2), <f32>(r * Math.cos(th)));
    if (i + 1 < n) store<f32>(x + (<usize>(i + 1) << 2), <f32>(r * Math.sin(th)));
  }
}

// idx[0..n) (i32) = a uniformly random permutation of 0..n-1 (Fisher-Yates, fixed draw order).
export function permutation(idx: usize, n: i32, seedLo: u32, seedHi: u32, stream: u32): void {
  const key = streamKey(seedLo, seedHi, stream);
  for (let i = 0; i < n; i++) store<i32>(idx + (<usize>i << 2), i);
  for (let i = n - 1; i > 0; i--) {
    const r = mix64(key + (<u64>i + 1) * 0x9e3779b97f4a7c15);
    const j = <i32>(((r >> 32) * <u64>(i + 1)) >> 32);
    const pi = idx + (<usize>i << 2), pj = idx + (<usize>j << 2);
    const t = load<i32>(pi);
    store<i32>(pi, load<i32>(pj));
    store<i32>(pj, t);
  }
}
