// Input preparation options and their checked forms: fit's `augment` (random crop with zero padding,
// horizontal flip) and `normalize` (per channel), the latter also taken by evaluate and predict.
// The work itself is done in wasm on the batch in the input buffer (assembly/augment.ts); this file
// checks the options against the model's input shape and calls those kernels.
import type { Kernels } from '../core/wasm.js';
import { ArgumentError, ShapeError, describeValue } from '../core/errors.js';
import { MAX_DIM } from '../core/sizes.js';

/**
 * `fit({ augment })`: each training sample, every epoch, is cropped and flipped at random as
 * torchvision's `RandomCrop(size, padding)` and `RandomHorizontalFlip()` do, in wasm. Draws come from
 * (fit seed, epoch, sample index), so a run replays bit for bit in every engine and whatever the
 * batch size or thread count. Needs image inputs [C, H, W]; applied before `normalize`.
 */
export interface AugmentOptions {
  /**
   * Pad each side with this many zero pixels, then crop back to H×W at a uniformly random offset
   * (a shift of -padding..padding rows and columns). Default 0: no crop.
   */
  padding?: number;
  /** Mirror left-right with probability 1/2. Default false. */
  flip?: boolean;
}

/**
 * Per-channel normalization `(x - mean[c]) / std[c]`, in wasm, after bytes are scaled to [0, 1]
 * and after augmentation (so zero padding becomes `-mean / std`, as in torchvision). One value per
 * channel: `inputShape[0]` for image inputs [C, H, W], one for flat inputs. Computed in float32
 * (mean and std are rounded to float32).
 */
export interface NormalizeOptions {
  /** Subtracted per channel, e.g. CIFAR-10's [0.4914, 0.4822, 0.4465]. */
  mean: readonly number[];
  /** Divided by per channel (each > 0), e.g. CIFAR-10's [0.2470, 0.2435, 0.2616]. */
  std: readonly number[];
}

/** Options of `model.predict(x, batch?, options)` and `model.predictProba(...)`. */
export interface PredictOptions {
  /** Normalize each input as fit() did (pass the same mean and std). */
  normalize?: NormalizeOptions;
}

/** Options of `model.evaluate(data, options)`. */
export interface EvaluateOptions extends PredictOptions {
  /** Samples per forward pass (default 512, or the model's planned batch if larger). */
  batchSize?: number;
}

/** Channels and values per channel of a sample of `shape`: [C, rest] for rank >= 2, [1, n] for flat inputs. */
function channelsOf(shape: readonly number[]): [number, number] {
  if (shape.length >= 2) return [shape[0], shape.slice(1).reduce((a, b) => a * b, 1)];
  return [1, shape.reduce((a, b) => a * b, 1)];
}

function onlyKeys(v: object, known: string[], what: string): void {
  for (const k of Object.keys(v)) {
    if (!known.includes(k)) throw new ArgumentError(`${what}: unknown option '${k}' (known: ${known.join(', ')})`);
  }
}

/**
 * The checked per-channel normalization: applied in place to B samples at a pointer.
 *
 * @internal
 */
export class Normalizer {
  constructor(readonly mean: Float32Array, readonly std: Float32Array, readonly perChannel: number) {}

  /** The zero padding of a crop, normalized: -mean / std must be finite in float32 (ArgumentError). */
  checkPadding(what: string): void {
    for (let c = 0; c < this.mean.length; c++) {
      if (!Number.isFinite(Math.fround(-this.mean[c] / this.std[c]))) {
        throw new ArgumentError(`${what}: normalize turns augment's zero padding into ${-this.mean[c]} / ${this.std[c]}, which overflows float32 in channel ${c}: use a larger std`);
      }
    }
  }

  /**
   * Normalizes B samples of the batch at `ptr` in place; ShapeError when a value overflows float32
   * (naming the sample: `sampleAt(row)` is its index in the caller's data).
   */
  apply(k: Kernels, ptr: number, B: number, what: string, sampleAt: (row: number) => number): void {
    const C = this.mean.length;
    for (let c = 0; c < C; c++) k.normalize_channel(ptr, B, C, this.perChannel, c, this.mean[c], this.std[c]);
    const bad = k.first_nonfinite(ptr, B * C * this.perChannel);
    if (bad >= 0) {
      const c = Math.floor(bad / this.perChannel) % C;
      throw new ShapeError(`${what}: sample ${sampleAt(Math.floor(bad / (C * this.perChannel)))} overflows float32 when normalized ` +
        `((x - ${this.mean[c]}) / ${this.std[c]} in channel ${c}): scale the data or use a larger std`);
    }
  }
}

/**
 * `normalize` checked against a model's input shape: null when absent; ArgumentError naming the
 * problem (not an object, wrong lengths, a value that is not a finite number, std <= 0).
 *
 * @internal
 */
export function checkNormalize(v: unknown, inputShape: readonly number[], what: string): Normalizer | null {
  if (v === undefined) return null;
  const [C, per] = channelsOf(inputShape);
  const form = `{ mean: number[], std: number[] } with ${C} value${C > 1 ? 's' : ''} each (one per channel of input shape [${inputShape.join(', ')}])`;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ArgumentError(`${what}: normalize must be ${form}, got ${describeValue(v)}`);
  onlyKeys(v, ['mean', 'std'], `${what}: normalize`);
  const out: Float32Array[] = [];
  for (const key of ['mean', 'std'] as const) {
    const a = (v as Record<string, unknown>)[key] as ArrayLike<unknown> | undefined;
    if (!Array.isArray(a) && !(a instanceof Float32Array) && !(a instanceof Float64Array)) {
      throw new ArgumentError(`${what}: normalize.${key} must be an array of ${C} number${C > 1 ? 's' : ''} (${form}), got ${describeValue(a)}`);
    }
    if (a.length !== C) throw new ArgumentError(`${what}: normalize.${key} has ${a.length} value${a.length === 1 ? '' : 's'}; expected ${C}, one per channel of input shape [${inputShape.join(', ')}]`);
    const f = new Float32Array(C);
    for (let c = 0; c < C; c++) {
      const x = a[c];
      const ok = typeof x === 'number' && Number.isFinite(Math.fround(x)) && (key === 'mean' || Math.fround(x) > 0);
      if (!ok) {
        const need = key === 'mean' ? 'a finite number' : 'a positive finite number (in float32: above 1.4e-45)';
        throw new ArgumentError(`${what}: normalize.${key}[${c}] must be ${need}, got ${describeValue(x)}`);
      }
      f[c] = x as number;
    }
    out.push(f);
  }
  return new Normalizer(out[0], out[1], per);
}

/**
 * The checked augmentation of fit(): crops and flips each loaded sample in place, drawn from
 * (seed, epoch, sample index). `epoch` is set by fit() at the start of every epoch.
 *
 * @internal
 */
export class Augmenter {
  epoch = 0;
  constructor(readonly shape: readonly [number, number, number], readonly padding: number, readonly flip: boolean,
    readonly seedLo: number, readonly seedHi: number) {}

  /** Augments the sample at `ptr` (dataset index `sample`) in place. */
  apply(k: Kernels, ptr: number, sample: number): void {
    const [C, H, W] = this.shape;
    k.augment_sample(ptr, C, H, W, this.padding, this.flip ? 1 : 0, this.seedLo, this.seedHi, this.epoch, sample);
  }
}

/**
 * fit's `augment` checked against the model's input shape: null when absent or a no-op (padding 0,
 * no flip); ArgumentError naming the problem otherwise.
 *
 * @internal
 */
export function checkAugment(v: unknown, inputShape: readonly number[], seedLo: number, seedHi: number): Augmenter | null {
  if (v === undefined) return null;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new ArgumentError(`fit: augment must be an object { padding?: number, flip?: boolean }, got ${describeValue(v)}`);
  }
  onlyKeys(v, ['padding', 'flip'], 'fit: augment');
  const { padding = 0, flip = false } = v as AugmentOptions;
  if (typeof padding !== 'number' || !Number.isInteger(padding) || padding < 0 || padding > MAX_DIM) {
    throw new ArgumentError(`fit: augment.padding must be a non-negative integer (pixels added on each side, at most ${MAX_DIM}), got ${describeValue(padding)}`);
  }
  if (typeof flip !== 'boolean') throw new ArgumentError(`fit: augment.flip must be a boolean, got ${describeValue(flip)}`);
  if (padding === 0 && !flip) return null;
  if (inputShape.length !== 3) {
    throw new ArgumentError(`fit: augment crops and flips images: it needs a model whose input shape is [C, H, W], got [${inputShape.join(', ')}]`);
  }
  return new Augmenter([inputShape[0], inputShape[1], inputShape[2]], padding, flip, seedLo, seedHi);
}

/**
 * What is done to a batch once its samples are in the input buffer: augmentation (fit only), then
 * normalization.
 *
 * @internal
 */
export interface BatchPrep {
  augment: Augmenter | null;
  normalize: Normalizer | null;
}

/**
 * predict(x, batch?, options?) and predict(x, options): the batch argument (a number or undefined)
 * and the options. `augment` is refused (it is a fit() option).
 *
 * @internal
 */
export function predictArgs(batch: unknown, options: unknown, what: string): [number | undefined, PredictOptions | undefined] {
  let opts = options;
  let b = batch;
  if (b !== null && typeof b === 'object' && !ArrayBuffer.isView(b)) {
    if (opts !== undefined) throw new ArgumentError(`${what}: options given twice (as the second and the third argument)`);
    [b, opts] = [undefined, b];
  }
  if (opts !== undefined && (opts === null || typeof opts !== 'object' || Array.isArray(opts))) {
    throw new ArgumentError(`${what}: options must be an object { normalize }, got ${describeValue(opts)}`);
  }
  refuseAugment(opts, what);
  return [b as number | undefined, opts as PredictOptions | undefined];
}

/** evaluate and predict take no `augment` (random changes of the inputs are a training-time thing). */
function refuseAugment(options: unknown, what: string): void {
  if (options && typeof options === 'object' && (options as { augment?: unknown }).augment !== undefined) {
    throw new ArgumentError(`${what}: augment is a fit() option (random crops and flips belong to training); ${what} takes normalize only`);
  }
}

/**
 * The normalization of evaluate's or predict's options (null without one); `augment` is refused.
 *
 * @internal
 */
export function inputNormalizer(options: PredictOptions | undefined, inputShape: readonly number[], what: string): Normalizer | null {
  refuseAugment(options, what);
  return checkNormalize(options?.normalize, inputShape, what);
}
