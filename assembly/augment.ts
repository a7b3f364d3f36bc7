// Input preparation on the batch in the model's input buffer (byte offsets, all in place): bytes
// scaled to [0, 1], random crop with zero padding and horizontal flip per sample (drawn from
// (seed, epoch, sample index), so a run replays bit for bit whatever the batch composition or
// thread count), per-channel normalization. Everything here is an exact copy except the two f32
// divisions (v / 255 and (x - mean) / std), which IEEE rounds the same in every engine.
import { assertSpan } from './bounds';
import { mix64, streamKey } from './random';

// out[0..n) = f32(src[i]) / 255 (overwrites). In place when src is the last n bytes of out's 4n
// (src = out + 3n): ascending, every write lands on bytes already read.
export function bytes_to_unit(out: usize, src: usize, n: i32): void {
  assertSpan(out, n, 4); assertSpan(src, n, 1);
  const d = f32x4.splat(255);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const v = v128.load(src + <usize>i); // 16 bytes read before the 64 written
    const lo = i16x8.extend_low_i8x16_u(v);
    const hi = i16x8.extend_high_i8x16_u(v);
    const p = out + (<usize>i << 2);
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(lo)), d));
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(lo)), d), 16);
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(hi)), d), 32);
    v128.store(p, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(hi)), d), 48);
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), <f32>load<u8>(src + <usize>i) / 255);
}

// Row y of a (H,W) plane, x[y, 0..W), reversed (in place, lanes reversed four at a time).
// @ts-ignore: decorator
@inline function mirror_row(row: usize, W: i32): void {
  let i = 0;
  let j = W - 4;
  for (; i + 4 <= j; i += 4, j -= 4) {
    const a = v128.load(row + (<usize>i << 2));
    const b = v128.load(row + (<usize>j << 2));
    v128.store(row + (<usize>i << 2), i32x4.shuffle(b, b, 3, 2, 1, 0));
    v128.store(row + (<usize>j << 2), i32x4.shuffle(a, a, 3, 2, 1, 0));
  }
  // the middle [i, j + 4) reversed one by one
  let k = j + 3;
  for (; i < k; i++, k--) {
    const pi = row + (<usize>i << 2), pk = row + (<usize>k << 2);
    const t = load<f32>(pi);
    store<f32>(pi, load<f32>(pk));
    store<f32>(pk, t);
  }
}

// x is (C,H,W), overwritten by its crop at shift (dy, dx), then mirrored left-right if flip != 0:
// x[c,y,x'] <- x[c, y+dy, x'+dx] (0 outside the image), x' = W-1-x when flipped. With a padding p
// and a window at (oy, ox) of the padded image, dy = oy - p and dx = ox - p. In place: rows are
// visited in the direction that reads each source row before it is overwritten.
export function crop_flip(x: usize, C: i32, H: i32, W: i32, dy: i32, dx: i32, flip: i32): void {
  assertSpan(x, <i64>C * <i64>H * <i64>W, 4);
  const rowBytes = <usize>W << 2;
  const planeBytes = <usize>H * rowBytes;
  const x0 = max(0, -dx), x1 = min(W, W - dx); // columns that have a source
  const zero = f32x4.splat(0);
  for (let c = 0; c < C; c++) {
    const plane = x + <usize>c * planeBytes;
    if (dy != 0 || dx != 0) {
      for (let t = 0; t < H; t++) {
        const y = dy > 0 ? t : H - 1 - t;
        const sy = y + dy;
        const dst = plane + <usize>y * rowBytes;
        if (sy < 0 || sy >= H || x1 <= x0) {
          memory.fill(dst, 0, rowBytes);
          continue;
        }
        memory.copy(dst + (<usize>x0 << 2), plane + <usize>sy * rowBytes + (<usize>(x0 + dx) << 2), <usize>(x1 - x0) << 2);
        for (let i = 0; i < x0; i++) store<f32>(dst + (<usize>i << 2), 0);
        let i = x1;
        for (; i + 4 <= W; i += 4) v128.store(dst + (<usize>i << 2), zero);
        for (; i < W; i++) store<f32>(dst + (<usize>i << 2), 0);
      }
    }
    if (flip != 0) for (let y = 0; y < H; y++) mirror_row(plane + <usize>y * rowBytes, W);
  }
}

// x is (C,H,W): crop_flip with the shift and flip drawn for `sample` in `epoch` under the seed:
// dy, dx uniform in [-padding, padding], flipped with probability 1/2 when flip != 0. The draws:
// key = mix64(streamKey(seed, epoch) ^ D) (D keeps them apart from the epoch's shuffle), then
// r1 = mix64(key + (2 sample + 1) G), r2 = mix64(key + (2 sample + 2) G), G = 0x9e3779b97f4a7c15;
// dy = ((r1 >> 32) (2p + 1) >> 32) - p, dx = ((r1 & 0xffffffff) (2p + 1) >> 32) - p, flip = r2 >> 63.
export function augment_sample(x: usize, C: i32, H: i32, W: i32, padding: i32, flip: i32,
  seedLo: u32, seedHi: u32, epoch: u32, sample: u32): void {
  const key = mix64(streamKey(seedLo, seedHi, epoch) ^ 0xa0761d6478bd642f);
  const r1 = mix64(key + (<u64>sample * 2 + 1) * 0x9e3779b97f4a7c15);
  const r2 = mix64(key + (<u64>sample * 2 + 2) * 0x9e3779b97f4a7c15);
  const span = <u64>(2 * padding + 1);
  const dy = <i32>(((r1 >> 32) * span) >> 32) - padding;
  const dx = <i32>(((r1 & 0xffffffff) * span) >> 32) - padding;
  crop_flip(x, C, H, W, dy, dx, flip != 0 ? <i32>(r2 >> 63) : 0);
}

// x is (B,C,HW): channel c of every sample <- (x - mean) / std (in place, f32).
export function normalize_channel(x: usize, B: i32, C: i32, HW: i32, c: i32, mean: f32, std: f32): void {
  assertSpan(x, <i64>B * <i64>C * <i64>HW, 4);
  const m = f32x4.splat(mean), s = f32x4.splat(std);
  for (let b = 0; b < B; b++) {
    const p = x + ((<usize>b * <usize>C + <usize>c) * <usize>HW << 2);
    let i = 0;
    for (; i + 4 <= HW; i += 4) {
      const q = p + (<usize>i << 2);
      v128.store(q, f32x4.div(f32x4.sub(v128.load(q), m), s));
    }
    for (; i < HW; i++) {
      const q = p + (<usize>i << 2);
      store<f32>(q, (load<f32>(q) - mean) / std);
    }
  }
}
