// ChannelPad forward/backward on NCHW activations: the parameter-free shortcut of the original CIFAR
// ResNet (option A). y (B, before + C + after, Ho, Wo) holds `before` zero channels, the input's
// channels subsampled by the stride (x[:, :, ::sh, ::sw], Ho = ceil(H / sh), Wo = ceil(W / sw)),
// then `after` zero channels. Pure copies: no arithmetic, so no summation order to fix; both
// kernels overwrite their output.
import { assertSpan } from './bounds';

@inline function at(p: usize, i: i32): usize { return p + (<usize>i << 2); }

@inline function zero(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(at(p, j), z);
  for (; j < n; j++) store<f32>(at(p, j), 0);
}

// d[j] = s[j * sw] for j in [0, n): contiguous (sw = 1), pairs (sw = 2) or scalar.
@inline function copyRow(d: usize, s: usize, n: i32, sw: i32): void {
  let j = 0;
  if (sw == 1) {
    for (; j + 4 <= n; j += 4) v128.store(at(d, j), v128.load(at(s, j)));
  } else if (sw == 2) {
    // reads s[2j .. 2j + 6]: inside the row while 2(j + 3) <= 2(n - 1)
    for (; j + 4 <= n; j += 4) v128.store(at(d, j), v128.shuffle<f32>(v128.load(at(s, 2 * j)), v128.load(at(s, 2 * j), 12), 0, 2, 5, 7));
  }
  for (; j < n; j++) store<f32>(at(d, j), load<f32>(at(s, j * sw)));
}

// y (B, before+C+after, Ho, Wo) from x (B, C, H, W). Overwrites y.
export function channel_pad_forward(y: usize, x: usize, B: i32, C: i32, H: i32, W: i32, before: i32, after: i32, sh: i32, sw: i32): void {
  const Ho = (H - 1) / sh + 1, Wo = (W - 1) / sw + 1, O = before + C + after;
  assertSpan(x, <i64>B * C * H * W, 4); assertSpan(y, <i64>B * O * Ho * Wo, 4);
  const plane = Ho * Wo;
  for (let b = 0; b < B; b++) {
    const yb = y + ((<usize>b * <usize>O * <usize>plane) << 2);
    zero(yb, before * plane);
    for (let c = 0; c < C; c++) {
      const xc = x + ((<usize>(b * C + c) * <usize>H * <usize>W) << 2);
      const yc = yb + ((<usize>(before + c) * <usize>plane) << 2);
      if (sh == 1 && sw == 1) { copyRow(yc, xc, plane, 1); continue; }
      for (let oh = 0; oh < Ho; oh++) copyRow(at(yc, oh * Wo), at(xc, oh * sh * W), Wo, sw);
    }
    zero(yb + ((<usize>(before + C) * <usize>plane) << 2), after * plane);
  }
}

// dx (B, C, H, W): dy's middle channels at the sampled positions, 0 elsewhere. Overwrites dx.
export function channel_pad_backward(dx: usize, dy: usize, B: i32, C: i32, H: i32, W: i32, before: i32, after: i32, sh: i32, sw: i32): void {
  const Ho = (H - 1) / sh + 1, Wo = (W - 1) / sw + 1, O = before + C + after;
  assertSpan(dx, <i64>B * C * H * W, 4); assertSpan(dy, <i64>B * O * Ho * Wo, 4);
  const plane = Ho * Wo;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const dxc = dx + ((<usize>(b * C + c) * <usize>H * <usize>W) << 2);
      const dyc = dy + ((<usize>(b * O + before + c) * <usize>plane) << 2);
      if (sh == 1 && sw == 1) { copyRow(dxc, dyc, plane, 1); continue; }
      zero(dxc, H * W);
      for (let oh = 0; oh < Ho; oh++) {
        const d = at(dxc, oh * sh * W), s = at(dyc, oh * Wo);
        for (let ow = 0; ow < Wo; ow++) store<f32>(at(d, ow * sw), load<f32>(at(s, ow)));
      }
    }
  }
}
