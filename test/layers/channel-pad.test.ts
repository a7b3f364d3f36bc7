// ChannelPad conformance: zero channels before/after (none, one side, both, unequal), strides 1, 2
// and 3 (the contiguous, paired and scalar copies) on odd and even maps (ceil(H / s) rows), then the
// errors and the EC optimizers' refusal (a 'join': Concat of zeros and the input on channels).
import { describe, it, expect, beforeAll } from 'vitest';
import { ChannelPad, Sequential, Conv2D, ReLU, Flatten, Dense, ECSGD, resnet } from '../../src/index.js';
import { runtime } from '../helpers.js';
import { conformance, type LayerCase } from './conformance.js';
import { channel_pad_forward_ref } from '../reference/channel-pad.js';

function pad(C: number, H: number, W: number, before: number, after: number, stride?: [number, number], batches?: number[]): LayerCase {
  const [sh, sw] = stride ?? [1, 1];
  return {
    name: `${before}+${C}+${after}${stride ? `, stride ${stride.join('x')}` : ''}`,
    make: (o) => new ChannelPad(before, after, stride ? { stride, ...o } : o),
    inputs: [[C, H, W]],
    out: [before + C + after, Math.ceil(H / sh), Math.ceil(W / sw)],
    ref: ([x], _p, B) => channel_pad_forward_ref(x, B, C, H, W, before, after, sh, sw),
    batches,
  };
}

conformance('ChannelPad', {
  role: 'join',
  cases: [
    pad(2, 4, 9, 1, 1),
    pad(3, 7, 13, 2, 2, [2, 2]),
    pad(4, 8, 16, 2, 2, [2, 2], [1, 3, 5]),
    pad(1, 5, 7, 0, 3, [3, 3]),
    pad(3, 6, 11, 2, 0, [1, 2]),
    pad(5, 3, 3, 0, 0),
    pad(2, 9, 5, 3, 1, [2, 1]),
  ],
  shapeErrors: [
    { make: (o) => new ChannelPad(1, 1, o), inputs: [[12]], good: [[3, 2, 2]], message: /\[channels, height, width\]/ },
  ],
});

describe('ChannelPad options and EC', () => {
  beforeAll(async () => { await runtime(); });

  it('bad options name the problem and the expected form', () => {
    expect(() => new ChannelPad(-1, 2)).toThrow(/ChannelPad: before \(zero channels before the input's\) must be a non-negative integer, got -1/);
    expect(() => new ChannelPad(1, 0.5)).toThrow(/ChannelPad: after .* must be a non-negative integer/);
    expect(() => new ChannelPad(1, 1, { stride: 0 })).toThrow(/ChannelPad: options.stride must be a positive integer or a pair of them/);
  });

  it('EC optimizers refuse it by name (its unit map moves channels by `before`, which the chain structure cannot express)', () => {
    const m = new Sequential([new Conv2D(2, 4, 3), new ReLU(), new ChannelPad(2, 2), new Conv2D(8, 3, 3), new Flatten(), new Dense(3, 3)], { inputShape: [2, 5, 5] });
    expect(() => new ECSGD(m, { lr: 0.1 })).toThrow(/layer 2 \(ChannelPad 2\+C\+2\) adds zero channels \(the 'zero-pad' shortcut\), which EC on graphs does not handle yet; use shortcut 'projection'/);
    const r = resnet({ depth: 8, widths: [4, 8, 8], inputShape: [1, 8, 8], classes: 3, shortcut: 'zero-pad' });
    expect(() => new ECSGD(r, { lr: 0.1 })).toThrow(/layer2\.0\.shortcut.*adds zero channels/);
    r.dispose();
    m.dispose();
  });
});
