// Float64/JS reference oracle for assembly/augment.ts: bytes to [0, 1], crop with zero padding and
// horizontal flip (an explicitly padded image, then a window), per-channel normalization, and the
// draws of augment_sample (the documented splitmix64 formula, in BigInt).

type Arr = ArrayLike<number>;

// out[i] = v / 255 in float64 (the kernel rounds it to float32)
export function bytes_to_unit_ref(src: Arr): Float64Array {
  return Float64Array.from(src, (v) => v / 255);
}

// x is (C,H,W): pad p zeros on each side ((C, H+2p, W+2p)), take the H×W window at (oy, ox) =
// (dy + p, dx + p), then mirror each row when flip. Written the long way on purpose (no shifts).
export function crop_flip_ref(x: Arr, C: number, H: number, W: number, dy: number, dx: number, flip: boolean): Float64Array {
  const p = Math.max(Math.abs(dy), Math.abs(dx));
  const Hp = H + 2 * p, Wp = W + 2 * p;
  const padded = new Float64Array(C * Hp * Wp);
  for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let i = 0; i < W; i++) padded[(c * Hp + y + p) * Wp + i + p] = x[(c * H + y) * W + i];
  const out = new Float64Array(C * H * W);
  const oy = dy + p, ox = dx + p;
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let i = 0; i < W; i++) {
        const v = padded[(c * Hp + oy + y) * Wp + ox + i];
        out[(c * H + y) * W + (flip ? W - 1 - i : i)] = v;
      }
    }
  }
  return out;
}

// x is (B,C,HW): (x - mean[c]) / std[c] in float64
export function normalize_ref(x: Arr, B: number, C: number, HW: number, mean: Arr, std: Arr): Float64Array {
  const out = new Float64Array(B * C * HW);
  for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let i = 0; i < HW; i++) {
    const j = (b * C + c) * HW + i;
    out[j] = (x[j] - mean[c]) / std[c];
  }
  return out;
}

const M64 = (1n << 64n) - 1n;
function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

// The shift and flip augment_sample draws for `sample` of `epoch` under seed (seedLo, seedHi).
export function augment_draw_ref(padding: number, seedLo: number, seedHi: number, epoch: number, sample: number): { dy: number; dx: number; flip: boolean } {
  const G = 0x9e3779b97f4a7c15n;
  const seed = (BigInt(seedHi >>> 0) << 32n) | BigInt(seedLo >>> 0);
  const streamKey = mix64(seed ^ mix64((BigInt(epoch >>> 0) + 0x632be59bd9b4e019n) & M64));
  const key = mix64(streamKey ^ 0xa0761d6478bd642fn);
  const r1 = mix64((key + (BigInt(sample) * 2n + 1n) * G) & M64);
  const r2 = mix64((key + (BigInt(sample) * 2n + 2n) * G) & M64);
  const span = BigInt(2 * padding + 1);
  return {
    dy: Number(((r1 >> 32n) * span) >> 32n) - padding,
    dx: Number(((r1 & 0xffffffffn) * span) >> 32n) - padding,
    flip: (r2 >> 63n) === 1n,
  };
}
