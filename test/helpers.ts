// Test utilities shared by the Node and browser suites: a deterministic JS data generator
// (integer arithmetic only, identical in every engine), arena copies in and out, comparisons.
import { init, getRuntime } from '../src/index.js';
import { setPointerChecks } from '../src/core/checked.js';

export async function runtime() {
  setPointerChecks(true); // tests run in checked mode (Node and browser): every kernel pointer is looked up
  await init();
  return getRuntime();
}

/** mulberry32: deterministic uniform floats in [lo, hi) from integer ops only. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform(n: number, lo = -1, hi = 1): Float32Array {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
      return out;
    },
    int(n: number, hi: number): Int32Array {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.floor(next() * hi);
      return out;
    },
  };
}

/** Copies data into a fresh arena block; returns its byte offset. */
export function put(data: Float32Array | Int32Array | number): number {
  const { arena } = getRuntime();
  if (typeof data === 'number') return arena.alloc(data * 4, 'test');
  const p = arena.alloc(Math.max(16, data.length * 4 + 16), 'test');
  if (data instanceof Int32Array) arena.i32(p, data.length).set(data);
  else arena.f32(p, data.length).set(data);
  return p;
}

export function get(ptr: number, n: number): Float32Array {
  return getRuntime().arena.f32(ptr, n).slice();
}

export function free(...ptrs: number[]): void {
  for (const p of ptrs) getRuntime().arena.release(p);
}

/** max |a - b| / (atol + rtol * |b|) over all elements; <= 1 means within tolerance. */
export function closeness(a: ArrayLike<number>, b: ArrayLike<number>, rtol = 1e-5, atol = 1e-5): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** FNV-1a over the bytes of float arrays: a bit-exact fingerprint. */
export function hashArrays(arrs: ArrayBufferView[]): string {
  let h1 = 0x811c9dc5 >>> 0;
  let h2 = 0x01000193 >>> 0;
  for (const a of arrs) {
    const b = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < b.length; i++) {
      h1 = Math.imul(h1 ^ b[i], 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ b[i], 0x85ebca6b) >>> 0;
    }
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

/** Bit pattern of the guard value written around kernel outputs (a NaN with a payload no kernel makes). */
export const GUARD_BITS = 0x7fa5a5a5;

/**
 * Allocates an output of n floats (or i32s) followed by `extra` guard slots, every slot (output
 * included, so overwrite-kernels that read their output are caught) set to GUARD_BITS.
 */
export function putGuarded(n: number, extra = 8): number {
  const { arena } = getRuntime();
  const p = arena.alloc((n + extra) * 4, 'test output');
  arena.i32(p, n + extra).fill(GUARD_BITS);
  return p;
}

/** Number of the `extra` guard slots after element n that were overwritten (0 = none). */
export function guardDamage(ptr: number, n: number, extra = 8): number {
  const g = getRuntime().arena.i32(ptr + n * 4, extra);
  let bad = 0;
  for (let i = 0; i < extra; i++) if (g[i] !== GUARD_BITS) bad++;
  return bad;
}

export function getI32(ptr: number, n: number): Int32Array {
  return getRuntime().arena.i32(ptr, n).slice();
}
