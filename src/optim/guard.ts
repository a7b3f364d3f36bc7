// The guarded update: one optimizer step that either completes with finite weights and state or
// leaves both exactly as they were. Parameters and optimizer state are copied to the step backup
// (sized when the optimizer attached, so a step allocates nothing), the update runs, and a
// non-finite result or an error thrown by a kernel (e.g. a trapped pool worker) puts the copies back.
import type { Kernels } from '../core/wasm.js';
import type { Arena, Block } from '../core/arena.js';
import { NonFiniteError, StateError } from '../core/errors.js';

/** What the guard needs of the optimizer it steps. */
export interface GuardedOptimizer {
  readonly kind: string;
  lr: number;
  t: number;
  stateBuffers(): readonly number[];
  apply(): void;
}

/** What the guard needs of the model: its parameter region, its backup, and a way to name a slot. */
export interface GuardedRegion {
  readonly name: string;
  readonly kernels: Kernels;
  readonly arena: Arena;
  readonly paramBase: number;
  readonly paramRegionFloats: number;
  /** The step backup block and its length in floats. */
  backupBlock(): { block: Block | null; floats: number };
  /** Name of the parameter at float index i of the region, e.g. `layer 2 (Dense 64->10), weight[5]`. */
  locate(i: number): string;
}

/**
 * Applies `opt` once to the region's parameters and increments `opt.t`. With `guard` false nothing
 * is copied and nothing can be undone (the caller opted out).
 */
export function guardedStep(region: GuardedRegion, opt: GuardedOptimizer, guard: boolean): void {
  const k = region.kernels;
  const n = region.paramRegionFloats;
  const state = opt.stateBuffers();
  const { block: backup, floats } = region.backupBlock();
  if (guard && (!backup || !region.arena.isLive(backup) || floats < n * (1 + state.length))) {
    throw new StateError(`${region.name}: the step backup for ${opt.kind} is missing (the optimizer was not attached to this model)`);
  }
  const restore = () => {
    k.copy_bytes(region.paramBase, backup!.ptr, n * 4);
    state.forEach((s, i) => k.copy_bytes(s, backup!.ptr + (i + 1) * n * 4, n * 4));
  };
  if (guard) {
    k.copy_bytes(backup!.ptr, region.paramBase, n * 4);
    state.forEach((s, i) => k.copy_bytes(backup!.ptr + (i + 1) * n * 4, s, n * 4));
  }
  try {
    opt.apply();
  } catch (e) {
    if (guard) restore();
    throw e;
  }
  opt.t++;
  if (!guard) return;
  const bad = k.first_nonfinite(region.paramBase, n);
  const badState = bad < 0 ? state.findIndex((s) => k.first_nonfinite(s, n) >= 0) : -1;
  if (bad >= 0 || badState >= 0) {
    const where = bad >= 0 ? region.locate(bad) : `the optimizer state of ${region.locate(k.first_nonfinite(state[badState], n))}`;
    restore();
    opt.t--;
    throw new NonFiniteError(`${opt.kind} step refused: it would make ${where} non-finite (NaN/Inf); weights and optimizer state restored. ` +
      `Lower the learning rate (lr = ${opt.lr})${opt.kind.startsWith('EC') ? ' or enable the trust region' : ''}.`);
  }
}
