// The memory a model owns for its whole life and the methods on it: the parameter and gradient
// regions and the layers' descriptors (allocated all or nothing), the step backup and the attached
// optimizers, liveness checks, and the weights as arrays (get/set/specs/gradients, names).
import type { Kernels, Runtime } from '../core/wasm.js';
import type { Arena, Block } from '../core/arena.js';
import { checkedKernels, pointerChecksEnabled } from '../core/checked.js';
import { bufferBytes } from '../core/sizes.js';
import { MemoryError, ShapeError, StateError, describeValue } from '../core/errors.js';
import { sizeOf, type Layer } from '../layers/layer.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ecStructure, rescaleHiddenUnit, type ECStructure } from '../ec/structure.js';
import type { ParamLayout } from './plan.js';

/** The parameter memory of a model; Model (model.ts) adds the graph and the batch buffers. */
export abstract class ModelWeights {
  /** The layers, in node order (owned by this model: a layer belongs to one model). */
  readonly layers: Layer[];
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
  /** A number naming this model in messages. */
  abstract readonly id: number;
  /** @internal 'Model' or 'Sequential', for messages. */
  protected readonly kindName: string;
  private readonly optimizers = new Set<Optimizer>();
  /** Guard backup of the parameters and the state of the largest attached optimizer. */
  private backup: Block | null = null;
  private backupFloats = 0;
  private disposed = false;
  private readonly paramBlock: Block;
  private readonly gradBlock: Block | null = null;
  /** False for a model loaded for inference only (`{ training: false }`): no gradient region, no optimizer. */
  readonly trainable: boolean;
  /** @internal Start of the buffer region (BatchNorm running statistics), 0 when no layer has buffers. */
  readonly bufferBase: number = 0;
  /** @internal Length of the buffer region in floats (0 without buffers). */
  readonly bufferRegionFloats: number = 0;
  private readonly bufferBlock: Block | null = null;
  /** A copy of the buffers taken before a guarded training step (the forward updates them). */
  private readonly bufferBackup: Block | null = null;
  private descBlocks: Block[] = [];

  constructor(rt: Runtime, layers: Layer[], layout: ParamLayout, bufferLayout: ParamLayout, kind: string, training: boolean) {
    this.kindName = kind;
    this.trainable = training;
    this.arena = rt.arena;
    this.layers = layers;
    this.kernels = pointerChecksEnabled(rt.build) ? checkedKernels(rt.kernels, rt.arena, this, () => this.name) : rt.kernels;
    this.paramRegionFloats = layout.regionFloats;
    this.parameterCount = layout.count;
    const total = layout.regionFloats * 4;
    const blocks: Block[] = [];
    const alloc = (bytes: number, what: string) => {
      const b = this.arena.allocBlock(bytes, what, this);
      blocks.push(b);
      return b;
    };
    try {
      try {
        this.paramBlock = alloc(total, 'parameters');
        if (training) this.gradBlock = alloc(total, 'gradients');
      } catch (e) {
        if (e instanceof MemoryError) {
          throw new MemoryError(`${kind}: the model does not fit in WebAssembly memory: its ${layout.count} parameters and their gradients need ` +
            `${(training ? 2 : 1) * total} bytes (${((training ? 2 : 1) * total / 2 ** 30).toFixed(2)} GiB) before activations and optimizer state (${e.message})`, e.requestedBytes, e.availableBytes);
        }
        throw e;
      }
      if (bufferLayout.count > 0) {
        const bytes = bufferLayout.regionFloats * 4;
        this.bufferBlock = alloc(bytes, 'buffers (running statistics)');
        if (training) this.bufferBackup = alloc(bytes, 'buffer backup');
        this.bufferBase = this.bufferBlock.ptr;
        this.bufferRegionFloats = bufferLayout.regionFloats;
      }
      const descs = layers.map((l) => {
        const n = l.descriptorBytes(rt.kernels);
        return n > 0 ? alloc(n, `descriptor of ${l.label}`) : null;
      });
      this.descBlocks = descs.filter((b): b is Block => b !== null);
      this.paramBase = this.paramBlock.ptr;
      this.gradBase = this.gradBlock?.ptr ?? 0;
      layers.forEach((l, i) => {
        l.paramPtr = layout.offsets[i].map((o) => this.paramBase + o * 4);
        l.gradPtr = training ? layout.offsets[i].map((o) => this.gradBase + o * 4) : [];
        l.bufferPtr = bufferLayout.offsets[i].map((o) => this.bufferBase + o * 4);
        const desc = descs[i];
        if (desc) l.bindDescriptor(this.kernels, desc.ptr);
      });
    } catch (e) {
      // leave the layers reusable and the arena as it was
      for (const b of blocks) this.arena.release(b);
      for (const l of layers) { l.index = -1; l.bindDescriptor(rt.kernels, null); l.paramPtr = []; l.gradPtr = []; l.bufferPtr = []; }
      throw e;
    }
  }

  /** "Model #id" / "Sequential #id", for messages. */
  get name(): string {
    return `${this.kindName} #${this.id}`;
  }

  /** The name of node i's tensors: its layer's name, or its index. */
  nodeName(i: number): string {
    return this.layers[i].name ?? String(i);
  }

  // ---- memory and life ----

  /** @internal Allocates a block owned by this model (optimizer state and workspaces); MemoryError with nothing allocated on failure. */
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
    this.checkTraining('an optimizer');
    const need = this.paramRegionFloats * (1 + stateCount);
    if (need <= this.backupFloats) return null;
    const bytes = bufferBytes(need, `${this.name}: the step backup (parameters and ${stateCount} optimizer state regions)`);
    return this.arena.allocBlock(bytes, 'step backup', this);
  }

  /** @internal Second half: installs the prepared backup (freeing the old one) and the optimizer. */
  commitAttach(opt: object, prepared: Block | null): void {
    if (prepared) {
      this.arena.release(this.backup);
      this.backup = prepared;
      this.backupFloats = prepared.size / 4;
    }
    this.optimizers.add(opt as Optimizer);
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
  detachOptimizer(opt: object): void {
    this.optimizers.delete(opt as Optimizer);
  }

  /** @internal The step backup, for the guard (optim/guard.ts). */
  backupBlock(): { block: Block | null; floats: number } {
    return { block: this.backup, floats: this.backupFloats };
  }

  /** True after dispose(). */
  get isDisposed(): boolean {
    return this.disposed;
  }

  protected markDisposed(): void {
    this.disposed = true;
  }

  /** Frees the optimizers, the backup, the descriptors and the parameter memory. */
  protected freeAll(): void {
    for (const o of [...this.optimizers]) o.dispose();
    this.arena.release(this.backup);
    this.backup = null;
    this.backupFloats = 0;
    for (const b of this.descBlocks) this.arena.release(b);
    this.descBlocks = [];
    for (const l of this.layers) l.bindDescriptor(this.kernels, null);
    this.arena.release(this.paramBlock);
    if (this.gradBlock) this.arena.release(this.gradBlock);
    if (this.bufferBlock) this.arena.release(this.bufferBlock);
    if (this.bufferBackup) this.arena.release(this.bufferBackup);
  }

  /**
   * @internal Throws StateError unless the model can be used: not disposed, the runtime not shut
   * down, and its parameter and gradient blocks still its own (same generation).
   */
  checkAlive(what = 'this call'): void {
    if (this.disposed) throw new StateError(`${this.name}: cannot run ${what}: this model has been disposed`);
    if (!this.arena.isOpen) throw new StateError(`${this.name}: cannot run ${what}: the ecopt runtime it was created in was shut down (shutdown()); create the model again after init()`);
    if (!this.arena.isLive(this.paramBlock) || (this.gradBlock && !this.arena.isLive(this.gradBlock))) {
      throw new StateError(`${this.name}: cannot run ${what}: its parameter memory was released by something else (a use after free was prevented)`);
    }
  }

  /** @internal Throws StateError for a model loaded for inference only. */
  checkTraining(what: string): void {
    if (!this.trainable) {
      throw new StateError(`${this.name} was loaded for inference only ({ training: false }): it has no gradient memory, so ${what} cannot run; load it with { training: true } to train it`);
    }
  }

  // ---- mode ----

  /** train() / eval(). */
  protected mode: 'train' | 'eval' = 'train';
  /** Training forwards taken (BatchNorm's num_batches_tracked). */
  protected batches = 0;

  /**
   * Training mode (the default): BatchNorm normalises with the batch's statistics and updates its
   * running ones; Dropout drops. trainBatch and computeGradients use the mode; fit always trains in
   * training mode; predict, predictProba and evaluate always use evaluation mode. Returns the model.
   */
  train(): this {
    this.checkAlive('train');
    this.mode = 'train';
    return this;
  }

  /** Evaluation mode: BatchNorm uses its running statistics, Dropout passes its input on. Returns the model. */
  eval(): this {
    this.checkAlive('eval');
    this.mode = 'eval';
    return this;
  }

  /** True in training mode (train()), false in evaluation mode (eval()). */
  get training(): boolean {
    return this.mode === 'train';
  }

  /** @internal Training forwards taken so far (each BatchNorm's num_batches_tracked); settable by checkpoint loading. */
  get batchesTracked(): number {
    return this.batches;
  }

  set batchesTracked(n: number) {
    this.batches = n;
  }

  // ---- weights ----

  /** Copies of all parameters, node order; per layer 'weight' then 'bias' (PyTorch layouts). */
  getWeights(): Float32Array[] {
    this.checkAlive();
    return this.readRegion((l) => l.paramPtr);
  }

  /** Copies of the gradients of the last computeGradients()/trainBatch(), in getWeights() order. */
  getGradients(): Float32Array[] {
    this.checkAlive();
    this.checkTraining('getGradients()');
    return this.readRegion((l) => l.gradPtr);
  }

  private readRegion(ptrs: (l: Layer) => number[]): Float32Array[] {
    const out: Float32Array[] = [];
    for (const l of this.layers) l.params.forEach((p, j) => out.push(this.arena.f32(ptrs(l)[j], sizeOf(p.shape)).slice()));
    return out;
  }

  /** Names and shapes of the arrays getWeights() returns, e.g. '0.weight' [64, 784] or 'layer1.0.conv1.weight'. */
  weightSpecs(): { name: string; shape: number[] }[] {
    const out: { name: string; shape: number[] }[] = [];
    this.layers.forEach((l, i) => { for (const p of l.params) out.push({ name: `${this.nodeName(i)}.${p.name}`, shape: p.shape.slice() }); });
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

  /** Names and shapes of the layers' buffers (BatchNorm: '1.running_mean' [16], '1.running_var' [16]). */
  bufferSpecs(): { name: string; shape: number[] }[] {
    const out: { name: string; shape: number[] }[] = [];
    this.layers.forEach((l, i) => { for (const b of l.buffers) out.push({ name: `${this.nodeName(i)}.${b.name}`, shape: b.shape.slice() }); });
    return out;
  }

  /** Copies of the layers' buffers (BatchNorm running statistics), in bufferSpecs() order. */
  getBuffers(): Float32Array[] {
    this.checkAlive();
    return this.readRegionOf((l) => l.buffers, (l) => l.bufferPtr);
  }

  /** Replaces the buffers (bufferSpecs() order and lengths, finite values); checks everything before writing. */
  setBuffers(bs: Float32Array[]): void {
    this.checkAlive();
    const specs = this.bufferSpecs();
    if (!Array.isArray(bs) || bs.length !== specs.length) {
      throw new ShapeError(`setBuffers: expected ${specs.length} Float32Arrays (${specs.map((s) => `${s.name} [${s.shape.join(', ')}]`).join(', ')}), got ${describeValue(bs)}`);
    }
    bs.forEach((b, i) => {
      const n = sizeOf(specs[i].shape);
      if (!(b instanceof Float32Array) || b.length !== n) throw new ShapeError(`setBuffers: array ${i} (${specs[i].name}) must be a Float32Array of ${n} values, got ${describeValue(b)}`);
      const bad = b.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw new ShapeError(`setBuffers: array ${i} (${specs[i].name}) has a non-finite value (${b[bad]}) at index ${bad}`);
    });
    let i = 0;
    for (const l of this.layers) l.buffers.forEach((_, j) => { this.arena.f32(l.bufferPtr[j], bs[i].length).set(bs[i]); i++; });
  }

  private readRegionOf(specs: (l: Layer) => { shape: number[] }[], ptrs: (l: Layer) => number[]): Float32Array[] {
    const out: Float32Array[] = [];
    for (const l of this.layers) specs(l).forEach((p, j) => out.push(this.arena.f32(ptrs(l)[j], sizeOf(p.shape)).slice()));
    return out;
  }

  /** @internal Copies the buffers aside before a training step (restoreBuffers puts them back). */
  saveBuffers(): void {
    if (this.bufferBlock && this.bufferBackup) this.kernels.copy_bytes(this.bufferBackup.ptr, this.bufferBlock.ptr, this.bufferRegionFloats * 4);
  }

  /** @internal */
  restoreBuffers(): void {
    if (this.bufferBlock && this.bufferBackup) this.kernels.copy_bytes(this.bufferBlock.ptr, this.bufferBackup.ptr, this.bufferRegionFloats * 4);
  }

  /** @internal Name of the parameter holding float index i of the parameter region. */
  locate(i: number): string {
    const ptr = this.paramBase + i * 4;
    for (const l of this.layers) {
      for (let j = 0; j < l.params.length; j++) {
        const p = l.paramPtr[j];
        if (ptr >= p && ptr < p + sizeOf(l.params[j].shape) * 4) return `${l.label}, ${l.params[j].name}[${(ptr - p) / 4}]`;
      }
    }
    return `parameter slot ${i}`;
  }

  // ---- the rescaling symmetry ----

  /**
   * The equivalent-class structure of this ReLU-family network: edges m, hidden units H, the
   * dimension m - H of the path space, the pivot layer, the gauge. Throws naming a layer that is
   * not positively homogeneous, or a join (graphs with joins come with EC on residual graphs).
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
}
