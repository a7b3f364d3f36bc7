// Inverted dropout (torch.nn.Dropout / Dropout2d in training mode): each draw keeps its group of
// `group` consecutive values (1 for Dropout, a channel's H*W for Dropout2D) with probability 1 - p
// and scales it by 1 / (1 - p), else zeroes it. Draw d of a batch is uniform(key, d) >= p, with the
// key made from (model seed, training step, node): a run replays bit-identically in every engine.
// The mask (0 or 1 / (1 - p) per draw) is kept for backward: dx = dy * mask.
import { assertSpan } from './bounds';
import { mix64, streamKey, uniform01 } from './random';

// y[i] = x[i] * mask[i / group], mask drawn here; count = B * values per sample, a multiple of group.
export function dropout_forward(y: usize, mask: usize, x: usize, count: i32, group: i32, p: f32,
  seedLo: u32, seedHi: u32, node: u32, step: f64): void {
  assertSpan(x, count, 4); assertSpan(y, count, 4);
  const draws = count / group;
  assertSpan(mask, draws, 4);
  const key = mix64(streamKey(seedLo, seedHi, node) ^ mix64(<u64>step));
  const keep: f32 = <f32>1 / (<f32>1 - p);
  for (let d = 0; d < draws; d++) {
    const m: f32 = uniform01(key, <u64>d) >= <f64>p ? keep : 0;
    store<f32>(mask + (<usize>d << 2), m);
    const base = <usize>d * <usize>group;
    for (let j = 0; j < group; j++) {
      const off = (base + <usize>j) << 2;
      store<f32>(y + off, load<f32>(x + off) * m);
    }
  }
}

// dx[i] = dy[i] * mask[i / group].
export function dropout_backward(dx: usize, dy: usize, mask: usize, count: i32, group: i32): void {
  assertSpan(dy, count, 4); assertSpan(dx, count, 4);
  const draws = count / group;
  for (let d = 0; d < draws; d++) {
    const m = load<f32>(mask + (<usize>d << 2));
    const base = <usize>d * <usize>group;
    for (let j = 0; j < group; j++) {
      const off = (base + <usize>j) << 2;
      store<f32>(dx + off, load<f32>(dy + off) * m);
    }
  }
}
