// Sequential: owns a model's memory plan in the wasm arena (one contiguous parameter region, a
// mirrored gradient region, activations planned for the largest batch seen) and runs
// forward, backward, optimizer steps, training loops and evaluation through the kernels.
//
// Memory rules (docs/reliability.md): every size is computed in safe-integer arithmetic and
// checked before anything is allocated; every block is owned by this model (Block records with a
// generation, checked at each entry point); a plan is allocated whole or not at all (new blocks
// first, old ones released only after success), so a failure leaves this model and every other
// one exactly as they were.
import { getRuntime, type Kernels } from '../core/wasm.js';
import type { Arena, Block } from '../core/arena.js';
import { checkedKernels, pointerChecksEnabled } from '../core/checked.js';
import { bufferBytes, addBytes, isDim, tooLarge, MAX_BUFFER_BYTES } from '../core/sizes.js';
import { Layer, sizeOf, type LayerIO, type ParamSpec } from '../layers/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import { checkDataset, type Dataset } from '../data/data.js';
import { ecStructure, rescaleHiddenUnit, type ECStructure } from '../ec/ec.js';
import type { LRSchedule } from '../train/schedules.js';
import { ShapeError, ArgumentError, NonFiniteError, StateError, MemoryError, describeValue, checkPositiveInt, checkOptions } from '../core/errors.js';

/** Options of `new Sequential(layers, options)`. */
export interface SequentialOptions {
  /** Seed for weight initialization (default 0). Same seed -> bit-identical weights everywhere. */
  seed?: number;
  /** Per-sample input shape, e.g. [784] or [1, 28, 28]; inferred from the first layer when omitted. */
  inputShape?: number[];
}

/** Options of `trainBatch`. */
export interface TrainOptions {
  /** Refuse steps that would make weights non-finite, restoring the previous state (default true). */
  guard?: boolean;
}

/** What `fit` passes to `onProgress` after every batch (epochs and batches counted from 1). */
export interface ProgressEvent {
  epoch: number;          // 1-based
  epochs: number;
  batch: number;          // 1-based within the epoch
  batches: number;
  /** Mean training loss over the epoch so far. */
  loss: number;
  /** Training throughput: samples over time spent in training steps (callbacks excluded). */
  samplesPerSec: number;
  elapsedSec: number;
  etaSec: number;
}

/**
 * One epoch's results, as fit()'s history and onEpochEnd receive them. `epoch` is 1-based (the first
 * epoch is 1), like ProgressEvent.epoch, BatchEndEvent.epoch and FitResult.stoppedEpoch/bestEpoch;
 * the learning-rate schedules' ScheduleContext.epoch counts from 0 (it is the schedule's clock).
 */
export interface EpochLog {
  /** 1-based: 1 for the first epoch of this fit() call. */
  epoch: number;
  /** Mean training loss over the epoch's samples. */
  loss: number;
  seconds: number;
  samplesPerSec: number;
  valLoss?: number;
  valAccuracy?: number;
}

/** What `fit` passes to `onBatchEnd` after every batch (epochs and batches counted from 1). */
export interface BatchEndEvent {
  epoch: number;   // 1-based
  batch: number;   // 1-based within the epoch
  loss: number;    // this batch's mean loss
  lr: number;      // learning rate used for this batch
}

/** `fit({ earlyStopping })`: stop when the monitored quantity has not improved for `patience` epochs. */
export interface EarlyStoppingOptions {
  /** 'valLoss' (default when validation data is given), 'loss', or 'valAccuracy'. */
  monitor?: 'loss' | 'valLoss' | 'valAccuracy';
  /** Epochs without improvement before stopping (default 0). */
  patience?: number;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping or finishing (default false). */
  restoreBestWeights?: boolean;
}

/** What `fit` resolves to: the per-epoch logs and, if training stopped early, when and why. */
export interface FitResult {
  history: EpochLog[];
  /** Epoch (1-based) after which early stopping or a callback ended training, if it did. */
  stoppedEpoch?: number;
  /** Best epoch of the monitored quantity when early stopping was used. */
  bestEpoch?: number;
}

/** Options of `fit(data, options)`; only `optimizer` is required. */
export interface FitOptions {
  optimizer: Optimizer;
  epochs?: number;
  batchSize?: number;
  /** Seed of the per-epoch shuffling (default 0). */
  seed?: number;
  shuffle?: boolean;
  /** Called after every batch. */
  onProgress?: (e: ProgressEvent) => void;
  /** Called after every epoch with its log; return false to stop training early. */
  onEpochEnd?: (log: EpochLog) => void | boolean;
  /** Called after every batch; return false to stop training after this batch. */
  onBatchEnd?: (e: BatchEndEvent) => void | boolean;
  /** Learning rate for every batch (stepDecay, exponentialDecay, cosineDecay or your own function). */
  lrSchedule?: LRSchedule;
  /** Stop when the monitored quantity has not improved for `patience` epochs. */
  earlyStopping?: EarlyStoppingOptions;
  /** Evaluated after every epoch when given. */
  validation?: Dataset;
  /** Yield to the event loop at least this often, in ms (default 50), so pages stay responsive. */
  yieldEveryMs?: number;
  /**
   * Stops training after the current batch when aborted (e.g. a Stop button). A signal that is
   * already aborted when fit() is called takes no step (the result has an empty history and
   * stoppedEpoch 0).
   */
  signal?: AbortSignal;
}

/** The per-batch buffers of a model, planned together for a capacity of `capacity` samples. */
interface BatchBuffers {
  input: number;
  acts: number[];
  caches: number[];
  grads: [number, number];
  labels: number;
  scratch: number;
  misc: number;
  blocks: Block[];
}

const EVAL_CHUNK = 512;

function splitSeed(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 4294967296) >>> 0];
}

/**
 * A chain of layers trained on the CPU in wasm: owns its memory plan (parameters, gradients,
 * activations, optimizer state) in the runtime's arena, and runs forward, backward, optimizer steps,
 * `fit`, `evaluate` and `predict`. Create it after `await init()`; free it with `dispose()`.
 */
export class Sequential {
  /** The layers, in order (owned by this model: a layer belongs to one model). */
  readonly layers: Layer[];
  /** Per-sample input shape, e.g. [784] or [1, 28, 28]. */
  readonly inputShape: number[];
  /** Per-sample output shape: [classes]. */
  readonly outputShape: number[];
  /** Seed of the weight initialization. */
  readonly seed: number;
  /** @internal The kernel table this model calls (checked in checked mode). */
  readonly kernels: Kernels;
  /** @internal The runtime's arena that holds this model's blocks. */
  readonly arena: Arena;
  /** @internal Start of the parameter region (byte offset). */
  readonly paramBase: number;
  /** @internal Start of the gradient region (byte offset). */
  readonly gradBase: number;
  /** @internal Length of the parameter region in floats (tensors 16-byte aligned). */
  readonly paramRegionFloats: number;
  /** Number of trainable scalars (without alignment padding). */
  readonly parameterCount: number;

  private capacity = 0;
  private buffers: BatchBuffers | null = null;
  private optimizers = new Set<Optimizer>();
  /** Guard backup of the parameters and the state of the largest attached optimizer. */
  private backup: Block | null = null;
  private backupFloats = 0;
  private disposed = false;
  /** fit() in progress: a second one is refused; dispose() waits for its current step. */
  private fitting = false;
  private freeAfterFit = false;
  private readonly paramBlock: Block;
  private readonly gradBlock: Block;
  private descBlocks: Block[] = [];
  private static nextId = 1;
  /** A number naming this model in messages ("Sequential #3"). */
  readonly id = Sequential.nextId++;

  constructor(layers: Layer[], options: SequentialOptions = {}) {
    options = checkOptions(options, 'Sequential');
    const rt = getRuntime();
    rt.arena.checkOpen('Sequential');
    this.arena = rt.arena;
    this.kernels = pointerChecksEnabled(rt.build) ? checkedKernels(rt.kernels, rt.arena, this, () => this.name) : rt.kernels;
    if (!Array.isArray(layers) || layers.length === 0) throw new ArgumentError('Sequential: expected a non-empty array of layers');
    layers.forEach((l, i) => {
      if (!(l instanceof Layer)) throw new ArgumentError(`Sequential: element ${i} is not a layer (got ${describeValue(l)})`);
      if (l.index !== -1) throw new ArgumentError(`Sequential: layer ${i} (${l.kind}) already belongs to a model; create a new layer instance`);
    });
    this.layers = layers;
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0 || seed > Number.MAX_SAFE_INTEGER) {
      throw new ArgumentError(`Sequential: seed must be a non-negative integer, got ${describeValue(seed)}`);
    }
    this.seed = seed;

    // Plan everything in safe integers, then allocate it all or nothing, then bind the layers.
    const blocks: Block[] = [];
    try {
      this.inputShape = options.inputShape !== undefined ? checkInputShape(options.inputShape) : inferInputShape(layers);
      let shape = this.inputShape;
      layers.forEach((l, i) => {
        l.index = i;
        shape = l.build(shape);
      });
      this.outputShape = shape;
      if (this.outputShape.length !== 1) {
        throw new ShapeError(`Sequential: the last layer must output a vector of class scores, got shape [${this.outputShape.join(', ')}] (add Flatten and a Dense layer)`);
      }

      // The parameter region: every tensor 16-byte aligned, layer order, then 'weight' before 'bias'.
      let floats = 0;
      let count = 0;
      const offsets: number[][] = [];
      for (const l of layers) {
        offsets.push(l.params.map((p) => {
          const off = floats;
          const n = sizeOf(p.shape);
          count += n;
          floats += Math.ceil(n / 4) * 4;
          return off;
        }));
      }
      this.paramRegionFloats = Math.max(4, floats);
      this.parameterCount = count;
      const total = this.paramRegionFloats * 4;
      if (!Number.isSafeInteger(total) || total > MAX_BUFFER_BYTES) {
        const need = 2 * total;
        throw new MemoryError(`Sequential: the model does not fit in WebAssembly memory: its ${count} parameters need ${total} bytes ` +
          `(${(total / 2 ** 30).toFixed(2)} GiB), and with their gradients ${need} bytes, before activations and optimizer state; ` +
          `one region may hold at most ${MAX_BUFFER_BYTES} bytes and all of wasm memory is limited to 4 GiB`, need, 0);
      }
      const alloc = (bytes: number, what: string) => {
        const b = this.arena.allocBlock(bytes, what, this);
        blocks.push(b);
        return b;
      };
      try {
        this.paramBlock = alloc(total, 'parameters');
        this.gradBlock = alloc(total, 'gradients');
      } catch (e) {
        if (e instanceof MemoryError) {
          throw new MemoryError(`Sequential: the model does not fit in WebAssembly memory: its ${count} parameters and their gradients need ` +
            `${2 * total} bytes (${(2 * total / 2 ** 30).toFixed(2)} GiB) before activations and optimizer state (${e.message})`, e.requestedBytes, e.availableBytes);
        }
        throw e;
      }
      const descs = layers.map((l) => {
        const n = l.descriptorBytes(rt.kernels);
        return n > 0 ? alloc(n, `descriptor of ${l.label}`) : null;
      });
      this.descBlocks = descs.filter((b): b is Block => b !== null);
      this.paramBase = this.paramBlock.ptr;
      this.gradBase = this.gradBlock.ptr;
      layers.forEach((l, i) => {
        l.paramPtr = offsets[i].map((o) => this.paramBase + o * 4);
        l.gradPtr = offsets[i].map((o) => this.gradBase + o * 4);
        const desc = descs[i];
        if (desc) l.bindDescriptor(this.kernels, desc.ptr);
      });
    } catch (e) {
      // leave the layers reusable and the arena as it was
      for (const b of blocks) this.arena.release(b);
      for (const l of layers) { l.index = -1; l.bindDescriptor(rt.kernels, null); l.paramPtr = []; l.gradPtr = []; }
      throw e;
    }
    this.initParameters();
  }

  /** "Sequential #id" (disposed), for messages. */
  get name(): string {
    return `Sequential #${this.id}`;
  }

  /** Re-initializes every parameter from `seed` (default: the model's seed), in wasm. */
  initParameters(seed = this.seed): void {
    this.checkAlive('initParameters');
    if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError(`initParameters: seed must be a non-negative integer, got ${describeValue(seed)}`);
    const [lo, hi] = splitSeed(seed);
    let stream = 0;
    for (const l of this.layers) {
      l.params.forEach((p, j) => {
        initParam(this.kernels, l.paramPtr[j], p, lo, hi, stream++);
      });
    }
  }

  // ---- memory ----

  /**
   * @internal Allocates a block owned by this model (optimizer state and workspaces). Throws
   * MemoryError with nothing allocated when memory cannot be had.
   */
  allocBlock(bytes: number, what: string): Block {
    this.checkAlive('allocBlock');
    return this.arena.allocBlock(bytes, what, this);
  }

  /** @internal Allocates a buffer shaped like the parameter region, owned by this model. */
  allocRegion(what: string): number {
    return this.allocBlock(this.paramRegionFloats * 4, what).ptr;
  }

  /**
   * @internal First half of attaching an optimizer with `stateCount` state regions: allocates a
   * larger step backup if one is needed (the old one stays until commitAttach), so an optimizer
   * whose construction fails afterwards can abortAttach() and leave the model exactly as it was.
   */
  prepareAttach(stateCount: number): Block | null {
    this.checkAlive('attachOptimizer');
    const need = this.paramRegionFloats * (1 + stateCount);
    if (need <= this.backupFloats) return null;
    const bytes = bufferBytes(need, `${this.name}: the step backup (parameters and ${stateCount} optimizer state regions)`);
    return this.arena.allocBlock(bytes, 'step backup', this);
  }

  /** @internal Second half: installs the prepared backup (freeing the old one) and the optimizer. */
  commitAttach(opt: Optimizer, prepared: Block | null): void {
    if (prepared) {
      this.arena.release(this.backup);
      this.backup = prepared;
      this.backupFloats = prepared.size / 4;
    }
    this.optimizers.add(opt);
  }

  /** @internal Undoes prepareAttach() after a failed optimizer construction. */
  abortAttach(prepared: Block | null): void {
    this.arena.release(prepared);
  }

  /** @internal Attaches an optimizer in one go (prepareAttach + commitAttach). */
  attachOptimizer(opt: Optimizer, stateCount = opt.stateBuffers().length): void {
    this.commitAttach(opt, this.prepareAttach(stateCount));
  }

  /** @internal */
  detachOptimizer(opt: Optimizer): void {
    this.optimizers.delete(opt);
  }

  /**
   * Plans and allocates the per-batch buffers for B samples (all sizes checked first; all blocks
   * allocated before the old ones are released, so a failure keeps the old plan).
   */
  private ensureCapacity(B: number): void {
    if (this.buffers && B <= this.capacity) return;
    const k = this.kernels;
    const who = this.name;
    const n = sizeOf(this.inputShape);
    const sizes: { what: string; bytes: number }[] = [];
    const plan = (elements: number, what: string) => {
      sizes.push({ what, bytes: bufferBytes(elements, `${who}: ${what} for a batch of ${B}`, B) });
      return sizes.length - 1;
    };
    let maxAct = n;
    let scratch = 16;
    const inputIx = plan(B * n, 'the input batch');
    let prev = inputIx;
    // a view layer (Flatten) reuses its input's buffer: same bytes, another shape, no copy
    const actIx = this.layers.map((l) => {
      maxAct = Math.max(maxAct, l.outSize);
      const sb = l.scratchBytes(k, B);
      if (!Number.isSafeInteger(sb) || sb > MAX_BUFFER_BYTES) {
        throw new ShapeError(`${who}: ${l.label} needs ${sb} bytes of scratch, more than the ${MAX_BUFFER_BYTES} bytes one buffer may have`);
      }
      scratch = Math.max(scratch, sb);
      prev = l.isView ? prev : plan(B * l.outSize, `the activations of ${l.label}`);
      return prev;
    });
    const cacheIx = this.layers.map((l) => (l.cacheFloatsPerSample() > 0 ? plan(B * l.cacheFloatsPerSample(), `the cache of ${l.label}`) : -1));
    const g0 = plan(B * maxAct, 'activation gradients');
    const g1 = plan(B * maxAct, 'activation gradients');
    const labelsIx = plan(B, 'labels');
    sizes.push({ what: 'scratch', bytes: scratch });
    const scratchIx = sizes.length - 1;
    const miscIx = plan(4, 'misc');
    let total = 0;
    for (const z of sizes) total = addBytes(total, z.bytes, `${who}: buffers for a batch of ${B}`);
    if (total > this.arena.limitBytes) {
      throw new MemoryError(`${who}: a batch of ${B} needs ${total} bytes of buffers (${(total / 2 ** 30).toFixed(2)} GiB), more than ` +
        `all of wasm memory (${this.arena.limitBytes} bytes); use a smaller batch`, total, this.arena.limitBytes);
    }
    const blocks: Block[] = [];
    try {
      for (const z of sizes) blocks.push(this.arena.allocBlock(z.bytes, z.what, this));
    } catch (e) {
      for (const b of blocks) this.arena.release(b);
      if (e instanceof MemoryError) {
        throw new MemoryError(`${who}: cannot plan the buffers for a batch of ${B} (${total} bytes in all): ${e.message}`, e.requestedBytes, e.availableBytes);
      }
      throw e;
    }
    const ptr = (i: number) => (i < 0 ? 0 : blocks[i].ptr);
    this.releaseBuffers();
    this.buffers = {
      input: ptr(inputIx),
      acts: actIx.map(ptr),
      caches: cacheIx.map(ptr),
      grads: [ptr(g0), ptr(g1)],
      labels: ptr(labelsIx),
      scratch: ptr(scratchIx),
      misc: ptr(miscIx),
      blocks,
    };
    this.capacity = B;
  }

  private releaseBuffers(): void {
    if (!this.buffers) return;
    for (const b of this.buffers.blocks) this.arena.release(b);
    this.buffers = null;
    this.capacity = 0;
  }

  /**
   * Frees every buffer of the model and its optimizers. The model cannot be used afterwards. During
   * fit(), the fit ends after its current step (its promise rejects with a StateError) and the
   * memory is freed then.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.fitting) {
      this.freeAfterFit = true;
      return;
    }
    this.freeAll();
  }

  private freeAll(): void {
    for (const o of [...this.optimizers]) o.dispose();
    this.releaseBuffers();
    this.arena.release(this.backup);
    this.backup = null;
    this.backupFloats = 0;
    for (const b of this.descBlocks) this.arena.release(b);
    this.descBlocks = [];
    for (const l of this.layers) l.bindDescriptor(this.kernels, null);
    this.arena.release(this.paramBlock);
    this.arena.release(this.gradBlock);
  }

  /** True after dispose(). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /**
   * @internal Throws StateError unless the model can be used: not disposed, the runtime not shut
   * down, and its parameter and gradient blocks still its own (same generation).
   */
  checkAlive(what = 'this call'): void {
    if (this.disposed) throw new StateError(`${this.name}: cannot run ${what}: this model has been disposed`);
    if (!this.arena.isOpen) throw new StateError(`${this.name}: cannot run ${what}: the ecopt runtime it was created in was shut down (shutdown()); create the model again after init()`);
    if (!this.arena.isLive(this.paramBlock) || !this.arena.isLive(this.gradBlock)) {
      throw new StateError(`${this.name}: cannot run ${what}: its parameter memory was released by something else (a use after free was prevented)`);
    }
  }

  // ---- weights ----

  /** Copies of all parameters, layer order; per layer 'weight' then 'bias' (PyTorch layouts). */
  getWeights(): Float32Array[] {
    this.checkAlive();
    const out: Float32Array[] = [];
    for (const l of this.layers) l.params.forEach((p, j) => out.push(this.arena.f32(l.paramPtr[j], sizeOf(p.shape)).slice()));
    return out;
  }

  /** Names and shapes of the arrays getWeights() returns, e.g. '0.weight' [64, 784]. */
  weightSpecs(): { name: string; shape: number[] }[] {
    const out: { name: string; shape: number[] }[] = [];
    for (const l of this.layers) for (const p of l.params) out.push({ name: `${l.index}.${p.name}`, shape: p.shape.slice() });
    return out;
  }

  /** Replaces all parameters. Validates everything before writing anything. */
  setWeights(ws: Float32Array[]): void {
    this.checkAlive();
    const specs = this.weightSpecs();
    if (!Array.isArray(ws)) throw new ShapeError(`setWeights: expected an array of ${specs.length} Float32Arrays, got ${describeValue(ws)}`);
    if (ws.length !== specs.length) {
      throw new ShapeError(`setWeights: expected ${specs.length} arrays (${specs.map((s) => `${s.name} [${s.shape.join(', ')}]`).join(', ')}), got ${ws.length}`);
    }
    ws.forEach((w, i) => {
      const s = specs[i];
      const n = sizeOf(s.shape);
      if (!(w instanceof Float32Array)) throw new ShapeError(`setWeights: array ${i} (${s.name}) must be a Float32Array, got ${describeValue(w)}`);
      if (w.length !== n) throw new ShapeError(`setWeights: array ${i} (${s.name}) must have ${n} values (shape [${s.shape.join(', ')}]), got ${w.length}`);
    });
    // finiteness checked in wasm on a staging copy would cost memory; the arrays are small enough to scan here
    ws.forEach((w, i) => {
      const bad = w.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ShapeError(`setWeights: array ${i} (${specs[i].name}) has a non-finite value (${w[bad]}) at index ${bad}`);
    });
    let i = 0;
    for (const l of this.layers) l.params.forEach((_, j) => { this.arena.f32(l.paramPtr[j], ws[i].length).set(ws[i]); i++; });
  }

  // ---- forward / backward ----

  private get sampleSize(): number {
    return sizeOf(this.inputShape);
  }

  get classes(): number {
    return this.outputShape[0];
  }

  private checkInput(x: unknown, batch: unknown, what: string): number {
    const B = checkPositiveInt(batch, `${what}: batch`);
    if (!(x instanceof Float32Array)) throw new ShapeError(`${what}: x must be a Float32Array, got ${describeValue(x)}`);
    const n = this.sampleSize;
    if (x.length !== B * n) {
      throw new ShapeError(`${what}: x has ${x.length} values, expected batch × [${this.inputShape.join(', ')}] = ${B} × ${n} = ${B * n}`);
    }
    return B;
  }

  /** Copies B samples into the input buffer and checks them for NaN/Inf (in wasm). */
  private loadInput(x: Float32Array, B: number, what: string, first = 0): void {
    const buf = this.buffers!;
    const n = B * this.sampleSize;
    this.arena.f32(buf.input, n).set(x.subarray(0, n));
    const bad = this.kernels.first_nonfinite(buf.input, n);
    if (bad >= 0) {
      const at = first * this.sampleSize + bad;
      throw new ShapeError(`${what}: input sample ${first + Math.floor(bad / this.sampleSize)} has a non-finite value (${x[bad]}) at index ${at}`);
    }
  }

  private forwardBuffers(B: number): void {
    const buf = this.buffers!;
    const k = this.kernels;
    let x = buf.input;
    for (let i = 0; i < this.layers.length; i++) {
      const y = buf.acts[i];
      if (!this.layers[i].isView) this.layers[i].forward(k, { B, x, y, dy: 0, dx: 0, scratch: buf.scratch, cache: buf.caches[i] });
      x = y;
    }
  }

  /** Backward pass from the gradient of the logits, which must be in grads[0]. */
  private backwardBuffers(B: number): void {
    const buf = this.buffers!;
    const k = this.kernels;
    let g = 0;
    const io: LayerIO = { B, x: 0, y: 0, dy: 0, dx: 0, scratch: buf.scratch };
    for (let i = this.layers.length - 1; i >= 0; i--) {
      if (this.layers[i].isView) continue; // its gradient is its input's gradient, same buffer
      io.x = i === 0 ? buf.input : buf.acts[i - 1];
      io.y = buf.acts[i];
      io.dy = buf.grads[g];
      io.dx = i === 0 ? 0 : buf.grads[1 - g];
      io.cache = buf.caches[i];
      this.layers[i].backward(k, io);
      g = 1 - g;
    }
  }

  /**
   * The batch size of a predict call without one: x.length / the sample size, which must be a
   * whole, non-zero number of samples (ShapeError naming both numbers otherwise).
   */
  private inferBatch(x: unknown, what: string): number {
    if (!(x instanceof Float32Array)) throw new ShapeError(`${what}: x must be a Float32Array, got ${describeValue(x)}`);
    const n = this.sampleSize;
    const shape = `inputShape [${this.inputShape.join(', ')}]`;
    if (x.length === 0) throw new ShapeError(`${what}: x has 0 values; expected at least one sample of ${n} values (${shape})`);
    if (x.length % n !== 0) {
      throw new ShapeError(`${what}: x has ${x.length} values, which is not a whole number of samples of ${n} values (${shape}); pass the batch size as the second argument or fix x's length`);
    }
    return x.length / n;
  }

  /**
   * Logits for `batch` samples, shape (batch, classes). Without `batch` (or with undefined) it is
   * x.length / the sample size (the product of inputShape).
   */
  predict(x: Float32Array, batch?: number): Float32Array {
    this.checkAlive();
    if (batch === undefined) batch = this.inferBatch(x, 'predict');
    const B = this.checkInput(x, batch, 'predict');
    const K = this.classes;
    const n = this.sampleSize;
    const out = new Float32Array(B * K);
    const chunk = Math.max(this.capacity, Math.min(B, EVAL_CHUNK));
    this.ensureCapacity(chunk);
    const last = this.buffers!.acts[this.layers.length - 1];
    for (let s = 0; s < B; s += chunk) {
      const b = Math.min(chunk, B - s);
      this.loadInput(x.subarray(s * n, (s + b) * n), b, 'predict', s);
      this.forwardBuffers(b);
      out.set(this.arena.f32(last, b * K), s * K);
    }
    return out;
  }

  /**
   * Class probabilities (softmax of the logits, computed in wasm), shape (batch, classes). `batch`
   * is optional, as for predict().
   */
  predictProba(x: Float32Array, batch?: number): Float32Array {
    if (batch === undefined) {
      this.checkAlive();
      batch = this.inferBatch(x, 'predictProba');
    }
    const logits = this.predict(x, batch);
    const K = this.classes;
    const chunk = Math.min(this.capacity, batch);
    const p = this.buffers!.acts[this.layers.length - 1];
    for (let s = 0; s < batch; s += chunk) {
      const b = Math.min(chunk, batch - s);
      const view = this.arena.f32(p, b * K);
      view.set(logits.subarray(s * K, (s + b) * K));
      this.kernels.softmax_forward(p, p, b, K);
      logits.set(this.arena.f32(p, b * K), s * K);
    }
    return logits;
  }

  private checkLabels(y: unknown, B: number, what: string): Uint8Array | Int32Array {
    if (!(y instanceof Uint8Array || y instanceof Int32Array)) {
      throw new ShapeError(`${what}: labels must be a Uint8Array or Int32Array of class indices, got ${describeValue(y)}`);
    }
    if (y.length !== B) throw new ShapeError(`${what}: got ${y.length} labels for a batch of ${B} samples`);
    return y;
  }

  private loadLabels(y: Uint8Array | Int32Array, B: number, what: string, first = 0): void {
    const p = this.buffers!.labels;
    this.arena.i32(p, B).set(y);
    const bad = this.kernels.first_bad_label(p, B, this.classes);
    if (bad >= 0) throw new ShapeError(`${what}: label ${y[bad]} at index ${first + bad} is not a class index in [0, ${this.classes})`);
  }

  /**
   * One training step on a batch: forward, softmax cross-entropy, backward, optimizer update.
   * Returns the mean loss. Throws (leaving weights and optimizer state untouched) on bad input,
   * a non-finite loss or gradient, or an update that would make weights non-finite.
   */
  trainBatch(x: Float32Array, y: Uint8Array | Int32Array, optimizer: Optimizer, options: TrainOptions = {}): number {
    this.checkAlive();
    if (!optimizer || optimizer.model !== this) {
      throw new ArgumentError('trainBatch: the optimizer must be created for this model (new SGD(model, ...))');
    }
    if (optimizer.isDisposed) throw new StateError(`trainBatch: the ${optimizer.kind} optimizer of ${this.name} has been disposed`);
    optimizer.checkHyperparameters();
    const labels = this.checkLabels(y, (y as { length?: number })?.length ?? 0, 'trainBatch');
    const B = this.checkInput(x, labels.length, 'trainBatch');
    this.ensureCapacity(B);
    this.loadInput(x, B, 'trainBatch');
    this.loadLabels(labels, B, 'trainBatch');
    return this.stepLoaded(B, optimizer, options.guard ?? true);
  }

  /**
   * Forward and backward on a batch without updating: fills the gradients (see getGradients())
   * and returns the mean loss.
   */
  computeGradients(x: Float32Array, y: Uint8Array | Int32Array): number {
    this.checkAlive();
    const labels = this.checkLabels(y, (y as { length?: number })?.length ?? 0, 'computeGradients');
    const B = this.checkInput(x, labels.length, 'computeGradients');
    this.ensureCapacity(B);
    this.loadInput(x, B, 'computeGradients');
    this.loadLabels(labels, B, 'computeGradients');
    const buf = this.buffers!;
    this.forwardBuffers(B);
    const loss = this.kernels.softmax_xent_forward_backward(buf.grads[0], buf.acts[this.layers.length - 1], buf.labels, B, this.classes);
    this.backwardBuffers(B);
    return loss;
  }

  /** Copies of the gradients of the last computeGradients()/trainBatch(), in getWeights() order. */
  getGradients(): Float32Array[] {
    this.checkAlive();
    const out: Float32Array[] = [];
    for (const l of this.layers) l.params.forEach((p, j) => out.push(this.arena.f32(l.gradPtr[j], sizeOf(p.shape)).slice()));
    return out;
  }

  private stepLoaded(B: number, optimizer: Optimizer, guard: boolean): number {
    const k = this.kernels;
    const buf = this.buffers!;
    this.forwardBuffers(B);
    const loss = k.softmax_xent_forward_backward(buf.grads[0], buf.acts[this.layers.length - 1], buf.labels, B, this.classes);
    if (!Number.isFinite(loss)) {
      throw new NonFiniteError(`trainBatch: the loss is ${loss} (the logits overflowed); step refused, weights unchanged. ` +
        'Either the inputs are far too large (scale them, e.g. to [0, 1]) or the weights have grown too large ' +
        '(lower the learning rate or restore an earlier checkpoint).');
    }
    this.backwardBuffers(B);
    const badGrad = k.first_nonfinite(this.gradBase, this.paramRegionFloats);
    if (badGrad >= 0) {
      throw new NonFiniteError(`trainBatch: a gradient of ${this.locate(badGrad)} is non-finite; step refused, weights unchanged. Lower the learning rate.`);
    }
    this.applyOptimizer(optimizer, guard);
    return loss;
  }

  /** Name of the parameter holding float index i of the parameter region. */
  private locate(i: number): string {
    const ptr = this.paramBase + i * 4;
    for (const l of this.layers) {
      for (let j = 0; j < l.params.length; j++) {
        const p = l.paramPtr[j];
        if (ptr >= p && ptr < p + sizeOf(l.params[j].shape) * 4) return `${l.label}, ${l.params[j].name}[${(ptr - p) / 4}]`;
      }
    }
    return `parameter slot ${i}`;
  }

  /**
   * One guarded update: parameters and optimizer state are copied to the backup (planned when the
   * optimizer attached: a step allocates nothing), the update runs, and a non-finite result or an
   * error thrown by a kernel (e.g. a trapped pool worker) puts the copies back. With guard false
   * nothing is copied and nothing can be undone.
   */
  private applyOptimizer(opt: Optimizer, guard: boolean): void {
    const k = this.kernels;
    const n = this.paramRegionFloats;
    const state = opt.stateBuffers();
    const backup = this.backup;
    if (guard && (!backup || !this.arena.isLive(backup) || this.backupFloats < n * (1 + state.length))) {
      throw new StateError(`${this.name}: the step backup for ${opt.kind} is missing (the optimizer was not attached to this model)`);
    }
    const restore = () => {
      k.copy_bytes(this.paramBase, backup!.ptr, n * 4);
      state.forEach((s, i) => k.copy_bytes(s, backup!.ptr + (i + 1) * n * 4, n * 4));
    };
    if (guard) {
      k.copy_bytes(backup!.ptr, this.paramBase, n * 4);
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
    const bad = k.first_nonfinite(this.paramBase, n);
    const badState = bad < 0 ? state.findIndex((s) => k.first_nonfinite(s, n) >= 0) : -1;
    if (bad >= 0 || badState >= 0) {
      const where = bad >= 0 ? this.locate(bad) : `the optimizer state of ${this.locate(k.first_nonfinite(state[badState], n))}`;
      restore();
      opt.t--;
      throw new NonFiniteError(`${opt.kind} step refused: it would make ${where} non-finite (NaN/Inf); weights and optimizer state restored. ` +
        `Lower the learning rate (lr = ${opt.lr})${opt.kind.startsWith('EC') ? ' or enable the trust region' : ''}.`);
    }
  }

  /** Mean loss and accuracy over a dataset (forward only, in chunks). */
  evaluate(data: Dataset, options: { batchSize?: number } = {}): { loss: number; accuracy: number } {
    this.checkAlive();
    options = checkOptions(options, 'evaluate');
    const ds = checkDataset(data, 'evaluate', this.sampleSize);
    const chunk = Math.max(this.capacity, Math.min(ds.count, checkPositiveInt(options.batchSize ?? EVAL_CHUNK, 'evaluate: batchSize')));
    this.ensureCapacity(chunk);
    const buf = this.buffers!;
    const n = this.sampleSize;
    let loss = 0;
    let correct = 0;
    for (let s = 0; s < ds.count; s += chunk) {
      const b = Math.min(chunk, ds.count - s);
      this.loadInput(ds.images.subarray(s * n, (s + b) * n), b, 'evaluate', s);
      this.loadLabels(ds.labels.subarray(s, s + b), b, 'evaluate', s);
      this.forwardBuffers(b);
      loss += this.kernels.softmax_xent_eval(buf.misc, buf.acts[this.layers.length - 1], buf.labels, b, this.classes);
      correct += this.arena.i32(buf.misc, 1)[0];
    }
    return { loss: loss / ds.count, accuracy: correct / ds.count };
  }

  /**
   * Trains for `epochs` over the dataset with seeded shuffling (the same seed gives the same batches
   * in every engine). Yields to the event loop regularly. Returns the per-epoch logs.
   */
  async fit(data: Dataset, options: FitOptions): Promise<FitResult> {
    this.checkAlive('fit');
    if (this.fitting) throw new StateError(`${this.name}: fit() is already running on this model; wait for it (or abort it) before starting another`);
    const ds = checkDataset(data, 'fit', this.sampleSize);
    const opt = options?.optimizer;
    if (!opt || opt.model !== this) throw new ArgumentError('fit: options.optimizer must be an optimizer created for this model');
    if (opt.isDisposed) throw new StateError(`fit: the ${opt.kind} optimizer of ${this.name} has been disposed`);
    opt.checkHyperparameters();
    for (const name of ['onProgress', 'onEpochEnd', 'onBatchEnd', 'lrSchedule'] as const) {
      if (options[name] !== undefined && typeof options[name] !== 'function') {
        throw new ArgumentError(`fit: options.${name} must be a function, got ${describeValue(options[name])}`);
      }
    }
    if (options.earlyStopping !== undefined && (options.earlyStopping === null || typeof options.earlyStopping !== 'object')) {
      throw new ArgumentError(`fit: options.earlyStopping must be an object { monitor, patience, minDelta, restoreBestWeights }`);
    }
    const epochs = checkPositiveInt(options.epochs ?? 1, 'fit: epochs');
    const batchSize = checkPositiveInt(options.batchSize ?? 32, 'fit: batchSize');
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw new ArgumentError(`fit: seed must be a non-negative integer, got ${describeValue(seed)}`);
    const validation = options.validation ? checkDataset(options.validation, 'fit: validation', this.sampleSize) : undefined;
    if (options.lrSchedule !== undefined && typeof options.lrSchedule !== 'function') {
      throw new ArgumentError('fit: lrSchedule must be a function (ctx) => lr, e.g. exponentialDecay({ rate: 0.01 })');
    }
    const es = options.earlyStopping;
    const monitor = es ? (es.monitor ?? (options.validation ? 'valLoss' : 'loss')) : 'loss';
    if (es) {
      if (!['loss', 'valLoss', 'valAccuracy'].includes(monitor)) throw new ArgumentError(`fit: earlyStopping.monitor must be 'loss', 'valLoss' or 'valAccuracy', got ${String(es.monitor)}`);
      if (monitor !== 'loss' && !options.validation) throw new ArgumentError(`fit: earlyStopping.monitor '${monitor}' needs options.validation`);
      if (es.patience !== undefined && (!Number.isInteger(es.patience) || es.patience < 0)) throw new ArgumentError(`fit: earlyStopping.patience must be a non-negative integer, got ${describeValue(es.patience)}`);
      if (es.minDelta !== undefined && !(es.minDelta >= 0)) throw new ArgumentError(`fit: earlyStopping.minDelta must be >= 0, got ${describeValue(es.minDelta)}`);
    }
    const yieldEvery = options.yieldEveryMs ?? 50;
    const shuffle = options.shuffle ?? true;
    const n = this.sampleSize;
    const N = ds.count;
    const B0 = Math.min(batchSize, N);
    const permBytes = bufferBytes(N, `${this.name}: fit's shuffle permutation of ${N} samples`);
    this.ensureCapacity(B0);
    // every sample and label, of the training and the validation data, checked up front (in wasm,
    // chunk by chunk through the input buffer): a bad sample must not stop training half-way
    this.checkSamples(ds, B0, 'fit');
    if (validation) this.checkSamples(validation, B0, 'fit: validation');
    if (options.signal?.aborted) return { history: [], stoppedEpoch: 0 };
    const permBlock = this.arena.allocBlock(permBytes, 'shuffle permutation', this);
    const permPtr = permBlock.ptr;
    this.fitting = true;
    const [lo, hi] = splitSeed(seed);
    const history: EpochLog[] = [];
    const result: FitResult = { history };
    const lr0 = opt.lr;
    const sign = monitor === 'valAccuracy' ? -1 : 1; // compare as "lower is better"
    let best = Infinity;
    let bestWeights: Float32Array[] | null = null;
    let waited = 0;
    let stop = false;
    try {
      const batches = Math.ceil(N / B0);
      const t0 = now();
      let lastYield = t0;
      let done = 0;
      let step = 0;
      let trainMs = 0; // time in data loading and steps only: callbacks and yields excluded
      for (let e = 0; e < epochs && !stop; e++) {
        const te = now();
        let epochTrainMs = 0;
        if (shuffle) this.kernels.permutation(permPtr, N, lo, hi, e);
        const perm = shuffle ? this.arena.i32(permPtr, N).slice() : null;
        let sum = 0;
        for (let bi = 0; bi < batches; bi++) {
          const tb = now();
          const s = bi * B0;
          const B = Math.min(B0, N - s);
          const input = this.arena.f32(this.buffers!.input, B * n);
          const lab = this.arena.i32(this.buffers!.labels, B);
          for (let r = 0; r < B; r++) {
            const idx = perm ? perm[s + r] : s + r;
            input.set(ds.images.subarray(idx * n, idx * n + n), r * n);
            lab[r] = ds.labels[idx];
          }
          const bad = this.kernels.first_nonfinite(this.buffers!.input, B * n);
          if (bad >= 0) throw new ShapeError(`fit: sample ${perm ? perm[s + Math.floor(bad / n)] : s + Math.floor(bad / n)} has a non-finite value`);
          const badLab = this.kernels.first_bad_label(this.buffers!.labels, B, this.classes);
          if (badLab >= 0) throw new ShapeError(`fit: label ${lab[badLab]} of sample ${perm ? perm[s + badLab] : s + badLab} is not a class index in [0, ${this.classes})`);
          if (options.lrSchedule) {
            const lr = options.lrSchedule({ epoch: e, step, stepsPerEpoch: batches, epochs, initialLr: lr0 });
            opt.setLearningRate(lr);
          }
          if (opt.isDisposed) throw new StateError(`fit: the ${opt.kind} optimizer of ${this.name} was disposed during training; ${step} steps were taken`);
          opt.checkHyperparameters();
          const batchLoss = this.stepLoaded(B, opt, true);
          sum += batchLoss * B;
          done += B;
          step++;
          const dt = now() - tb;
          trainMs += dt;
          epochTrainMs += dt;
          if (options.onBatchEnd && options.onBatchEnd({ epoch: e + 1, batch: bi + 1, loss: batchLoss, lr: opt.lr }) === false) {
            stop = true;
            result.stoppedEpoch = e + 1;
          }
          const t = now();
          if (options.signal?.aborted && !stop) {
            stop = true;
            result.stoppedEpoch = e + 1;
          }
          if (options.onProgress) {
            const elapsed = (t - t0) / 1000;
            const sps = done / Math.max(trainMs / 1000, 1e-9);
            options.onProgress({
              epoch: e + 1, epochs, batch: bi + 1, batches, loss: sum / (s + B),
              samplesPerSec: sps, elapsedSec: elapsed, etaSec: (epochs * N - done) / sps,
            });
          }
          if (this.disposed) throw new StateError(`fit: ${this.name} was disposed during training; it stopped after ${step} steps`);
          if (t - lastYield >= yieldEvery) {
            await new Promise((r) => setTimeout(r, 0));
            lastYield = now();
            if (this.disposed) throw new StateError(`fit: ${this.name} was disposed during training; it stopped after ${step} steps`);
            if (!this.arena.isOpen) throw new StateError(`fit: the ecopt runtime was shut down during training of ${this.name}; it stopped after ${step} steps`);
          }
          if (stop) break;
        }
        const seen = stop ? done - e * N : N;
        const seconds = (now() - te) / 1000;
        const log: EpochLog = { epoch: e + 1, loss: sum / seen, seconds, samplesPerSec: seen / Math.max(epochTrainMs / 1000, 1e-9) };
        if (options.validation) {
          const v = this.evaluate(options.validation);
          log.valLoss = v.loss;
          log.valAccuracy = v.accuracy;
        }
        history.push(log);
        if (es) {
          const value = sign * (monitor === 'loss' ? log.loss : monitor === 'valLoss' ? log.valLoss! : log.valAccuracy!);
          if (value < best - (es.minDelta ?? 0)) {
            best = value;
            waited = 0;
            result.bestEpoch = e + 1;
            if (es.restoreBestWeights) bestWeights = this.getWeights();
          } else if (++waited > (es.patience ?? 0)) {
            stop = true;
            result.stoppedEpoch = e + 1;
          }
        }
        if (options.onEpochEnd && options.onEpochEnd(log) === false && !stop) {
          stop = true;
          result.stoppedEpoch = e + 1;
        }
      }
      if (bestWeights) this.setWeights(bestWeights);
    } finally {
      this.fitting = false;
      this.arena.release(permBlock);
      if (this.freeAfterFit) {
        this.freeAfterFit = false;
        this.freeAll();
      }
    }
    return result;
  }

  /** Checks every image (finite) and label (a class index) of a dataset in wasm, chunk by chunk. */
  private checkSamples(ds: Dataset, B0: number, what: string): void {
    const n = this.sampleSize;
    const N = ds.count;
    const chunk = Math.min(B0, this.capacity);
    for (let s = 0; s < N; s += chunk) {
      const b = Math.min(chunk, N - s);
      this.arena.f32(this.buffers!.input, b * n).set(ds.images.subarray(s * n, (s + b) * n));
      const bad = this.kernels.first_nonfinite(this.buffers!.input, b * n);
      if (bad >= 0) {
        const at = s * n + bad;
        throw new ShapeError(`${what}: sample ${Math.floor(at / n)} has a non-finite value (${ds.images[at]}) at index ${at}`);
      }
      this.arena.i32(this.buffers!.labels, b).set(ds.labels.subarray(s, s + b));
      const badLab = this.kernels.first_bad_label(this.buffers!.labels, b, this.classes);
      if (badLab >= 0) throw new ShapeError(`${what}: label ${ds.labels[s + badLab]} of sample ${s + badLab} is not a class index in [0, ${this.classes})`);
    }
  }

  /**
   * The equivalent-class structure of this ReLU-family network: edges m, hidden units H, the
   * dimension m - H of the path space, the pivot layer, the gauge. Throws naming a layer that is
   * not positively homogeneous.
   */
  ecStructure(): ECStructure {
    this.checkAlive();
    return ecStructure(this);
  }

  /**
   * Applies the rescaling symmetry to hidden unit `unit` produced by layer `layerIndex` (a Dense or
   * Conv2D, or a later activation/pool layer on the same units): incoming weights and bias times
   * c > 0, outgoing weights divided by c. The network function does not change.
   */
  rescaleHiddenUnit(layerIndex: number, unit: number, c: number): void {
    this.checkAlive();
    rescaleHiddenUnit(this, layerIndex, unit, c);
  }

  // ---- serialization: specs (src/io/spec.ts), safetensors and checkpoints (src/io/safetensors.ts) ----

  /**
   * @internal The implementations behind the four methods below, installed by src/io/spec.ts and
   * src/io/safetensors.ts when they load (the package entry point loads both). Those modules import
   * this one, so this one does not import them.
   */
  static readonly serialization: {
    toSpec?: (model: Sequential) => import('../io/spec.js').ModelSpec;
    fromSpec?: (spec: unknown) => Sequential;
    toSafetensors?: (model: Sequential, options?: import('../io/safetensors.js').SafetensorsOptions) => Uint8Array;
    fromSafetensors?: (bytes: Uint8Array, spec?: unknown) => Sequential;
  } = {};

  private static codec<K extends keyof typeof Sequential.serialization>(name: K): NonNullable<(typeof Sequential.serialization)[K]> {
    const f = Sequential.serialization[name];
    if (!f) throw new Error(`Sequential.${name}: serialization is not loaded; import ecopt from its entry point (src/index.ts)`);
    return f;
  }

  /** The architecture as data: { format: 'ecopt.sequential', version: 1, inputShape, seed, layers: [{ type, ...config() }] }. */
  toSpec(): import('../io/spec.js').ModelSpec {
    this.checkAlive();
    return Sequential.codec('toSpec')(this);
  }

  /** The model a spec (object or JSON text) describes, weights initialized from its seed. Throws FormatError naming the bad field. */
  static fromSpec(spec: import('../io/spec.js').ModelSpec | string): Sequential {
    return Sequential.codec('fromSpec')(spec);
  }

  /**
   * The weights as a safetensors file (names `0.weight`, `0.bias`, ... and PyTorch layouts), the
   * spec in its metadata; with `{ optimizer }` also the optimizer's state, for loadOptimizerState().
   */
  toSafetensors(options: import('../io/safetensors.js').SafetensorsOptions = {}): Uint8Array {
    this.checkAlive();
    return Sequential.codec('toSafetensors')(this, options);
  }

  /**
   * The model saved by toSafetensors(). `spec` replaces the file's spec (needed for files written
   * elsewhere). Every tensor is checked (F32, complete, shapes, finite); errors are FormatError.
   */
  static fromSafetensors(bytes: Uint8Array, spec?: import('../io/spec.js').ModelSpec | string): Sequential {
    return Sequential.codec('fromSafetensors')(bytes, spec);
  }

  /** One line per layer with shapes and parameter counts. */
  summary(): string {
    const lines = [`Sequential: input [${this.inputShape.join(', ')}]`];
    for (const l of this.layers) {
      const p = l.params.reduce((a, s) => a + sizeOf(s.shape), 0);
      lines.push(`  ${l.index}: ${l.describe().padEnd(28)} -> [${l.outShape.join(', ')}]${p ? `  ${p} params` : ''}`);
    }
    lines.push(`  total: ${this.parameterCount} parameters`);
    return lines.join('\n');
  }
}

function checkInputShape(shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !isDim(d))) {
    const bound = Array.isArray(shape) && (shape.length > 8 || tooLarge(shape)) ? ' (at most 8 of them, each at most 16777216)' : '';
    throw new ShapeError(`Sequential: inputShape must be an array of positive integers${bound}, e.g. [784] or [1, 28, 28], got ${JSON.stringify(shape)?.slice(0, 80)}`);
  }
  if (shape.length > 8) throw new ShapeError(`Sequential: inputShape may have at most 8 dimensions, got ${shape.length}`);
  return shape.slice();
}

/**
 * The per-sample input shape when the caller gave none: [inFeatures] for a first Dense; for a
 * first Conv2D (or pool) the smallest square [C, S, S] (S <= 1024) for which every layer's shape
 * fits (a later Dense fixes S; with floor-rounding pools several S can fit and the smallest is
 * taken, e.g. 28 for MNIST); otherwise an error asking for inputShape.
 *
 * Linear in the number of layers: every conv/pool output size is non-decreasing in S, so the
 * flattened size reaching the first Dense is too, and a binary search over S finds the smallest
 * S that is not too small (about 10 shape passes instead of up to 1024).
 */
export function inferInputShape(layers: Layer[]): number[] {
  const first = layers[0] as Layer & { inFeatures?: number; inChannels?: number };
  if (typeof first.inFeatures === 'number') return [first.inFeatures];
  const ask = `pass { inputShape: [C, H, W] } to Sequential`;
  if (typeof first.inChannels !== 'number') {
    throw new ShapeError(`Sequential: cannot infer the input shape from the first layer (${first.kind}); pass { inputShape }`);
  }
  const C = first.inChannels;
  // 'small': S too small (a window does not fit, or fewer features than the first Dense takes);
  // 'large': more features than the first Dense takes; 'fits'; 'never': fails for a reason S does not change
  const attempt = (S: number): 'small' | 'large' | 'fits' | 'never' => {
    let shape = [C, S, S];
    let i = 0;
    try {
      for (; i < layers.length; i++) {
        const l = layers[i] as Layer & { inFeatures?: number };
        if (typeof l.inFeatures === 'number') {
          const n = sizeOf(shape);
          if (n < l.inFeatures) return 'small';
          if (n > l.inFeatures) return 'large';
          break;
        }
        shape = l.build(shape);
      }
    } catch {
      return 'small';
    }
    try {
      for (; i < layers.length; i++) shape = layers[i].build(shape);
    } catch {
      return 'never';
    }
    return shape.length === 1 ? 'fits' : 'never';
  };
  let lo = 1, hi = 1024;
  if (attempt(hi) === 'small') hi = -1;
  while (hi > 0 && lo < hi) {
    const mid = (lo + hi) >> 1;
    if (attempt(mid) === 'small') lo = mid + 1;
    else hi = mid;
  }
  if (hi < 0 || attempt(lo) !== 'fits') {
    throw new ShapeError(`Sequential: cannot infer the input size of ${first.kind}: no square input up to 1024x1024 fits the layers; ${ask}`);
  }
  return [C, lo, lo];
}

function now(): number {
  return typeof performance !== 'undefined' ? performance.now() : Date.now();
}

function initParam(k: Kernels, ptr: number, p: ParamSpec, lo: number, hi: number, stream: number): void {
  const n = sizeOf(p.shape);
  switch (p.init) {
    case 'he-uniform': return k.init_uniform(ptr, n, lo, hi, stream, 2 / p.fanIn);
    case 'he-normal': return k.init_normal(ptr, n, lo, hi, stream, 2 / p.fanIn);
    case 'glorot-uniform': return k.init_uniform(ptr, n, lo, hi, stream, 2 / (p.fanIn + p.fanOut));
    case 'glorot-normal': return k.init_normal(ptr, n, lo, hi, stream, 2 / (p.fanIn + p.fanOut));
    case 'zeros': return k.fill_f32(ptr, n, 0);
    case 'constant': return k.fill_f32(ptr, n, p.value ?? 0);
  }
}
