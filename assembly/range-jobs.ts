// The operations of the thread pool's range jobs (threads.ts posts them; see range_pool and
// range_run there): which kernel range function a RangeOp runs, with its arguments read back from
// the pool block's RangeArg slots, on units [u0, u1) of share s of S. Each operation computes every
// output element of its range with the single-thread arithmetic, so a split never changes a bit.
import { PoolSlot } from './abi';
import { conv_dw_range } from './conv2d';
import { axpy_range } from './util';
import { relu_forward_range, relu_backward_range, leaky_relu_forward_range, leaky_relu_backward_range } from './activation';
import { bn_train_range, bn_eval_range, bn_backward_range } from './batchnorm';
import { maxpool_forward_range, maxpool_backward_range, avgpool_forward_range, avgpool_backward_range, gap_forward_range, gap_backward_range } from './pool2d';
import { bias_rows_range, col_sums_range } from './dense';

/**
 * Range job operations (PoolSlot.RangeOp): each splits its units (elements, rows, channels, planes,
 * columns) into contiguous ranges, one per share, split points at multiples of RangeAlign; every
 * output element is computed by one thread with the single-thread arithmetic. Internal.
 */
export enum RangeOp {
  ReluFwd = 0,
  ReluBwd = 1,
  LeakyFwd = 2,
  LeakyBwd = 3,
  Axpy = 4,
  BNTrain = 5,
  BNEval = 6,
  BNBwd = 7,
  MaxPoolFwd = 8,
  MaxPoolBwd = 9,
  AvgPoolFwd = 10,
  AvgPoolBwd = 11,
  GapFwd = 12,
  GapBwd = 13,
  BiasRows = 14,
  ColSums = 15,
  ConvDW = 16,
}

// Byte address of slot s of the pool block at p.
// @ts-ignore: decorator
@inline function at(p: usize, s: i32): usize { return p + (<usize>s << 2); }

// @ts-ignore: decorator
@inline function alignedSplit(n: i32, align: i32, T: i32, t: i32): i32 {
  if (t >= T) return n;
  return <i32>(((<i64>(n / align) * <i64>t) / <i64>T) * <i64>align);
}

// @ts-ignore: decorator
@inline function ri(p: usize, k: i32): i32 { return load<i32>(at(p, PoolSlot.RangeArg0 + k)); }
// @ts-ignore: decorator
@inline function rp(p: usize, k: i32): usize { return <usize>load<i32>(at(p, PoolSlot.RangeArg0 + k)); }
// @ts-ignore: decorator
@inline function rf(p: usize, k: i32): f32 { return load<f32>(at(p, PoolSlot.RangeArg0 + k)); }

// Share s of S, units [u0, u1), of a range job, on thread tid (its scratch share for ConvDW).
export function range_share(p: usize, tid: i32, s: i32, S: i32): void {
  const n = load<i32>(at(p, PoolSlot.RangeN)), al = load<i32>(at(p, PoolSlot.RangeAlign));
  const u0 = alignedSplit(n, al, S, s), u1 = alignedSplit(n, al, S, s + 1);
  const op = load<i32>(at(p, PoolSlot.RangeOp));
  if (op == RangeOp.ConvDW) {
    // units: dW columns (mode 0) or rows (mode 1); dbias rows split apart, one per output channel
    const O = ri(p, 8), K = ri(p, 9), cols = ri(p, 7) == 0;
    const q0 = alignedSplit(O, 1, S, s), q1 = alignedSplit(O, 1, S, s + 1);
    const scratch = rp(p, 5) + <usize>tid * rp(p, 6);
    if (cols) conv_dw_range(rp(p, 0), rp(p, 1), rp(p, 2), rp(p, 3), ri(p, 4), rp(p, 10), scratch, 0, O, u0, u1, q0, q1);
    else conv_dw_range(rp(p, 0), rp(p, 1), rp(p, 2), rp(p, 3), ri(p, 4), rp(p, 10), scratch, u0, u1, 0, K, q0, q1);
    return;
  }
  if (u0 >= u1) return;
  switch (op) {
    case RangeOp.ReluFwd: relu_forward_range(rp(p, 0), rp(p, 1), u0, u1); break;
    case RangeOp.ReluBwd: relu_backward_range(rp(p, 0), rp(p, 1), rp(p, 2), u0, u1); break;
    case RangeOp.LeakyFwd: leaky_relu_forward_range(rp(p, 0), rp(p, 1), u0, u1, rf(p, 2)); break;
    case RangeOp.LeakyBwd: leaky_relu_backward_range(rp(p, 0), rp(p, 1), rp(p, 2), u0, u1, rf(p, 3)); break;
    case RangeOp.Axpy: axpy_range(rp(p, 0), rp(p, 1), u0, u1, rf(p, 2)); break;
    case RangeOp.BNTrain:
      bn_train_range(rp(p, 0), rp(p, 1), rp(p, 2), rp(p, 3), rp(p, 4), rp(p, 5), rp(p, 6), ri(p, 7), ri(p, 8), ri(p, 9), rf(p, 10), rf(p, 11), u0, u1);
      break;
    case RangeOp.BNEval:
      bn_eval_range(rp(p, 0), rp(p, 1), rp(p, 2), rp(p, 3), rp(p, 4), rp(p, 5), ri(p, 6), ri(p, 7), ri(p, 8), rf(p, 9), u0, u1);
      break;
    case RangeOp.BNBwd:
      bn_backward_range(rp(p, 0), rp(p, 1), rp(p, 2), rp(p, 3), rp(p, 4), rp(p, 5), rp(p, 6), rp(p, 7), rp(p, 8), ri(p, 9), ri(p, 10), ri(p, 11), rf(p, 12), u0, u1);
      break;
    case RangeOp.MaxPoolFwd:
      maxpool_forward_range(rp(p, 0), rp(p, 1), rp(p, 2), ri(p, 3), ri(p, 4), ri(p, 5), ri(p, 6), ri(p, 7), ri(p, 8), ri(p, 9), ri(p, 10), u0, u1);
      break;
    case RangeOp.MaxPoolBwd: maxpool_backward_range(rp(p, 0), rp(p, 1), rp(p, 2), ri(p, 3), ri(p, 4), u0, u1); break;
    case RangeOp.AvgPoolFwd:
      avgpool_forward_range(rp(p, 0), rp(p, 1), ri(p, 2), ri(p, 3), ri(p, 4), ri(p, 5), ri(p, 6), ri(p, 7), ri(p, 8), ri(p, 9), u0, u1);
      break;
    case RangeOp.AvgPoolBwd:
      avgpool_backward_range(rp(p, 0), rp(p, 1), ri(p, 2), ri(p, 3), ri(p, 4), ri(p, 5), ri(p, 6), ri(p, 7), ri(p, 8), ri(p, 9), u0, u1);
      break;
    case RangeOp.GapFwd: gap_forward_range(rp(p, 0), rp(p, 1), ri(p, 2), u0, u1); break;
    case RangeOp.GapBwd: gap_backward_range(rp(p, 0), rp(p, 1), ri(p, 2), u0, u1); break;
    case RangeOp.BiasRows: bias_rows_range(rp(p, 0), rp(p, 1), ri(p, 2), u0, u1); break;
    case RangeOp.ColSums: col_sums_range(rp(p, 0), rp(p, 1), ri(p, 2), ri(p, 3), u0, u1); break;
    default: unreachable();
  }
}
