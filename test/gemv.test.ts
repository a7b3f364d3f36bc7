// The thin A·Bᵀ path (assembly/gemv.ts, used by gemm_nt for M <= 3 rows): bit for bit the blocked
// GEMM's result for the same rows (computed inside a 5-row product, which takes the blocked path),
// and the exact f32 chain acc = acc + a_k b_jk of gemm.ts, on every SIMD tail of N and K, with and
// without accumulate; nothing written outside C.
import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import { getRuntime, type Kernels } from '../src/index.js';
import { runtime, rng, put, get, free, putGuarded, guardDamage } from './helpers.js';

let k: Kernels;
const live: number[] = [];
const inp = (a: Float32Array) => (live.push(put(a)), live[live.length - 1]);
beforeAll(async () => { k = (await runtime()).kernels; });
afterEach(() => free(...live.splice(0)));

/** The chain of gemm.ts in float32: acc = (accumulate ? c : +0); acc = fround(acc + fround(a_k b_jk)). */
function chain(a: Float32Array, b: Float32Array, c0: Float32Array | null, M: number, N: number, K: number): Float32Array {
  const out = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = c0 ? c0[i * N + j] : 0;
      for (let q = 0; q < K; q++) acc = Math.fround(acc + Math.fround(a[i * K + q] * b[j * K + q]));
      out[i * N + j] = acc;
    }
  }
  return out;
}

const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

describe('gemm_nt with 1-3 rows (the gemv path)', () => {
  const Ns = [1, 3, 4, 5, 8, 13, 33];
  const Ks = [1, 3, 4, 5, 7, 16, 33, 300];
  for (const M of [1, 2, 3]) {
    it(`M=${M}: the blocked GEMM's bits and the exact f32 chain, every N/K tail, accumulate 0 and 1`, () => {
      for (const N of Ns) {
        for (const K of Ks) {
          const r = rng(M * 1000 + N * 37 + K);
          const a5 = r.uniform(5 * K, -2, 2); // rows 0..M-1 are A; 5 rows take the blocked path
          const a = a5.slice(0, M * K);
          const b = r.uniform(N * K, -2, 2);
          const c0 = r.uniform(5 * N, -1, 1);
          for (const accumulate of [0, 1]) {
            const pc = putGuarded(M * N, 8);
            live.push(pc);
            if (accumulate) getRuntime().arena.f32(pc, M * N).set(c0.subarray(0, M * N));
            const pa = inp(a), pb = inp(b);
            k.gemm_nt(pc, pa, pb, M, N, K, accumulate, inp(new Float32Array(Math.ceil(k.gemm_scratch_bytes(M, N, K) / 4) + 4)));
            const thin = get(pc, M * N);
            expect(guardDamage(pc, M * N, 8)).toBe(0);
            const p5 = inp(accumulate ? c0 : new Float32Array(5 * N));
            k.gemm_nt(p5, inp(a5), pb, 5, N, K, accumulate, inp(new Float32Array(Math.ceil(k.gemm_scratch_bytes(5, N, K) / 4) + 4)));
            const blocked = get(p5, M * N);
            expect(bits(thin), `M=${M} N=${N} K=${K} acc=${accumulate}: against the blocked path`).toEqual(bits(blocked));
            expect(bits(thin), `M=${M} N=${N} K=${K} acc=${accumulate}: against the chain`).toEqual(bits(chain(a, b, accumulate ? c0 : null, M, N, K)));
          }
        }
      }
    });
  }
});
