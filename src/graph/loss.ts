// The loss of a model, chosen by its options ({ loss, labelSmoothing, huberDelta }): what targets
// it trains on (class labels or float values), its fused wasm kernels for a training step and for
// evaluation, the metric evaluate() reports with it, and what predictProba() means for it.
// Definitions and reductions are torch's (CrossEntropyLoss, BCEWithLogitsLoss, MSELoss, HuberLoss,
// reduction 'mean').
import type { Kernels } from '../core/wasm.js';
import type { Arena } from '../core/arena.js';
import { ArgumentError, FormatError, describeValue } from '../core/errors.js';

/** The losses a model can train with. */
export type LossName = 'cross-entropy' | 'bce-with-logits' | 'mse' | 'huber';

/** Every loss name, in documentation order. */
export const LOSS_NAMES: readonly LossName[] = ['cross-entropy', 'bce-with-logits', 'mse', 'huber'];

/** The loss options of `new Model({ ... })` and `new Sequential(layers, { ... })`. */
export interface LossOptions {
  /**
   * The training objective over the model's outputs (logits), mean over the batch as in torch:
   * - `'cross-entropy'` (default): softmax cross-entropy against class labels (`labels`);
   * - `'bce-with-logits'`: binary cross-entropy of each output's sigmoid against float targets
   *   (`targets`, usually 0/1: multi-label classification), mean over every element;
   * - `'mse'`: mean squared error against float targets, mean over every element;
   * - `'huber'`: torch's HuberLoss against float targets (quadratic within `huberDelta`, linear outside).
   */
  loss?: LossName;
  /** Cross-entropy only: the target is (1 - ε)·onehot + ε/classes (torch's label_smoothing). Default 0, in [0, 1]. */
  labelSmoothing?: number;
  /** Huber only: where the loss turns from quadratic to linear (torch's delta). Default 1, > 0. */
  huberDelta?: number;
}

/** What evaluate() returns: the mean loss and the metric that fits the model's loss. */
export interface Evaluation {
  /** The mean loss over the dataset (per sample for cross-entropy, per element for the others, as torch). */
  loss: number;
  /**
   * Cross-entropy: the fraction of samples whose highest logit is the label. BCE: the fraction of
   * outputs classified as their target (logit > 0 against target > 0.5). Absent (undefined) for
   * 'mse' and 'huber', which report `mae` instead.
   */
  accuracy: number;
  /** 'mse' and 'huber': the mean absolute error over every output. */
  mae?: number;
}

/** A model's resolved loss. */
export interface Loss {
  readonly name: LossName;
  readonly labelSmoothing: number;
  readonly huberDelta: number;
  /** 'labels': one class index per sample (i32); 'values': one float per output per sample. */
  readonly targets: 'labels' | 'values';
  /** Target floats per sample in the batch's target buffer (1 for labels). */
  targetWidth(outputs: number): number;
  /** Fills the output gradient (dz, B × K) for outputs z and targets t; returns the mean loss. */
  forwardBackward(k: Kernels, dz: number, z: number, t: number, B: number, K: number): number;
  /** [summed loss, summed metric] over b samples (misc: a few bytes of scratch for the kernel's metric). */
  evalChunk(k: Kernels, arena: Arena, misc: number, z: number, t: number, b: number, K: number): [number, number];
  /** Overwrites b × K outputs at p with their probabilities: softmax rows (cross-entropy), sigmoids (BCE); null for values. */
  readonly probabilities: ((k: Kernels, p: number, b: number, K: number) => void) | null;
  /** evaluate()'s result from the summed loss and metric over `count` samples of K outputs. */
  finish(lossSum: number, metricSum: number, count: number, K: number): Evaluation;
}

const isLossName = (v: unknown): v is LossName => typeof v === 'string' && (LOSS_NAMES as readonly string[]).includes(v);

/** The loss `options` describe (checked: names the bad option and the accepted forms). */
export function resolveLoss(options: LossOptions, who: string): Loss {
  const name = options.loss ?? 'cross-entropy';
  if (!isLossName(name)) {
    throw new ArgumentError(`${who}: options.loss must be one of ${LOSS_NAMES.map((n) => `'${n}'`).join(', ')}, got ${typeof name === 'string' ? `'${(name as string).slice(0, 40)}'` : describeValue(name)}`);
  }
  const ls = options.labelSmoothing;
  if (ls !== undefined) {
    if (typeof ls !== 'number' || !(ls >= 0 && ls <= 1)) throw new ArgumentError(`${who}: options.labelSmoothing must be a number in [0, 1], got ${describeValue(ls)}`);
    if (name !== 'cross-entropy' && ls !== 0) throw new ArgumentError(`${who}: options.labelSmoothing applies to loss 'cross-entropy' only (the loss is '${name}')`);
  }
  const hd = options.huberDelta;
  if (hd !== undefined) {
    if (typeof hd !== 'number' || !(hd > 0 && hd < Infinity)) throw new ArgumentError(`${who}: options.huberDelta must be a finite number > 0, got ${describeValue(hd)}`);
    if (name !== 'huber' && hd !== 1) throw new ArgumentError(`${who}: options.huberDelta applies to loss 'huber' only (the loss is '${name}')`);
  }
  return makeLoss(name, ls ?? 0, hd ?? 1);
}

function makeLoss(name: LossName, labelSmoothing: number, huberDelta: number): Loss {
  const eps = Math.fround(labelSmoothing);
  const delta = Math.fround(huberDelta);
  const base = { name, labelSmoothing, huberDelta };
  switch (name) {
    case 'cross-entropy':
      return {
        ...base, targets: 'labels',
        targetWidth: () => 1,
        probabilities: (k, p, b, K) => k.softmax_forward(p, p, b, K),
        forwardBackward: (k, dz, z, t, B, K) => (eps === 0
          ? k.softmax_xent_forward_backward(dz, z, t, B, K)
          : k.softmax_xent_smooth_forward_backward(dz, z, t, B, K, eps)),
        evalChunk: (k, arena, misc, z, t, b, K) => [eps === 0
          ? k.softmax_xent_eval(misc, z, t, b, K)
          : k.softmax_xent_smooth_eval(misc, z, t, b, K, eps), arena.i32(misc, 1)[0]],
        finish: (loss, hits, count) => ({ loss: loss / count, accuracy: hits / count }),
      };
    case 'bce-with-logits':
      return {
        ...base, targets: 'values',
        targetWidth: (K) => K,
        probabilities: (k, p, b, K) => k.sigmoid_forward(p, p, b * K),
        forwardBackward: (k, dz, z, t, B, K) => k.bce_logits_forward_backward(dz, z, t, B, K),
        evalChunk: (k, arena, misc, z, t, b, K) => [k.bce_logits_eval(misc, z, t, b, K), arena.i32(misc, 1)[0]],
        finish: (loss, hits, count, K) => ({ loss: loss / (count * K), accuracy: hits / (count * K) }),
      };
    case 'mse':
    case 'huber': {
      const d = name === 'huber' ? delta : 0;
      return {
        ...base, targets: 'values',
        targetWidth: (K) => K,
        probabilities: null,
        forwardBackward: (k, dz, z, t, B, K) => (d > 0
          ? k.huber_forward_backward(dz, z, t, B, K, d)
          : k.mse_forward_backward(dz, z, t, B, K)),
        evalChunk: (k, arena, misc, z, t, b, K) => [k.regression_eval(misc, z, t, b, K, d), arena.f64(misc, 1)[0]],
        finish: (loss, abs, count, K) => ({ loss: loss / (count * K), mae: abs / (count * K) }) as Evaluation,
      };
    }
  }
}

/** The top-level spec fields that hold the loss options. */
export const LOSS_FIELDS = ['loss', 'labelSmoothing', 'huberDelta'] as const;

/**
 * The loss options of a spec object, checked: FormatError naming the field (`spec.loss must be
 * one of ...`).
 */
export function pickLossFields(spec: Record<string, unknown>): LossOptions {
  const out: Record<string, unknown> = {};
  for (const f of LOSS_FIELDS) if (spec[f] !== undefined) out[f] = spec[f];
  try {
    resolveLoss(out, 'spec');
  } catch (e) {
    throw new FormatError((e as Error).message.replace('spec: options.', 'spec.'));
  }
  return out as LossOptions;
}

/** The loss options a spec records: only what differs from the defaults (so default files are unchanged). */
export function lossSpecFields(loss: Loss): LossOptions {
  const out: LossOptions = {};
  if (loss.name !== 'cross-entropy') out.loss = loss.name;
  if (loss.labelSmoothing !== 0) out.labelSmoothing = loss.labelSmoothing;
  if (loss.name === 'huber' && loss.huberDelta !== 1) out.huberDelta = loss.huberDelta;
  return out;
}
