// Layers: shape inference, parameter specs and the forward/backward calls into the kernels.
// Layers hold no tensor data themselves: the model plans all memory and passes pointers.
import type { Kernels } from '../core/wasm.js';
import { ShapeError, ArgumentError, describeValue } from '../core/errors.js';
import { product } from '../core/sizes.js';
import { SymbolicTensor, isSymbolicTensor } from '../graph/tensor.js';

/**
 * How a layer's weights are initialised (in wasm, from the model's seed): He (Kaiming) or Glorot
 * (Xavier), uniform or normal, as PyTorch defines them; `'zeros'`; `'constant'` is used internally
 * for PReLU slopes (`PReLUOptions.init`). Biases always start at 0.
 */
export type InitKind = 'he-uniform' | 'he-normal' | 'glorot-uniform' | 'glorot-normal' | 'torch-uniform' | 'zeros' | 'constant';

/**
 * The initializers a weight layer (Dense, Conv2D) accepts. 'torch-uniform' is PyTorch's default for
 * nn.Linear and nn.Conv2d: weight and bias both U(-1/sqrt(fanIn), 1/sqrt(fanIn)); with the others
 * the bias starts at 0.
 */
export const WEIGHT_INITS: readonly InitKind[] = ['he-uniform', 'he-normal', 'glorot-uniform', 'glorot-normal', 'torch-uniform', 'zeros'];

/** A weight layer's bias initializer: PyTorch's uniform bias with 'torch-uniform', else zeros. */
export const biasInit = (weightInit: InitKind): InitKind => (weightInit === 'torch-uniform' ? 'torch-uniform' : 'zeros');

/** One parameter tensor of a layer (`layer.params`): its name, shape and initialisation. */
export interface ParamSpec {
  /** PyTorch state_dict suffix: `'weight'` or `'bias'` (the full name is `${layerIndex}.${name}`). */
  name: string;
  /** Shape in PyTorch's layout, e.g. (out, in) for a Dense weight. */
  shape: number[];
  /** Initializer. */
  init: InitKind;
  /** Fan-in and fan-out used by the He / Glorot initializers. */
  fanIn: number;
  fanOut: number;
  /** The value of a `'constant'` initializer. */
  value?: number;
}

/**
 * Pointers and sizes for one layer call. dx = 0 means "input gradient not needed".
 *
 * @internal
 */
export interface LayerIO {
  B: number;
  x: number;
  y: number;
  dy: number;
  dx: number;
  scratch: number;
  /** The layer's per-batch cache planned by the model (cacheFloatsPerSample() floats per sample), or 0. */
  cache?: number;
  /** Training mode (batch statistics, dropout masks) or evaluation mode; set by the model. */
  training?: boolean;
  /** The model's seed and its training-step count: Dropout draws its masks from (seed, step, node). */
  seed?: number;
  step?: number;
  /** Joins (Add, Concat): the inputs, in the order the layer was applied to them. */
  xs?: number[];
  /** Joins: the gradient of each input (0: not needed). */
  dxs?: number[];
}

/** Options every layer takes. */
export interface LayerOptions {
  /**
   * The layer's name in a functional `Model`: its tensors are saved as `${name}.weight`, ... (e.g.
   * `'layer1.0.conv1'`, to match a PyTorch module's state_dict). Letters, digits, `_`, `-` and `.`;
   * unique in a model. Unnamed layers are named by their node index, as in a Sequential.
   */
  name?: string;
}

/**
 * What a layer is to the equivalent-class (EC) optimizers, declared by every layer (no default):
 * `'weight'` a linear map between units (Dense, Conv2D); `'homogeneous'` positively 1-homogeneous,
 * keeps or regroups units (ReLU, LeakyReLU, PReLU, pools, Flatten); `'join'` ties several inputs
 * (Add, Concat); `'scale-cut'` output invariant to its input's unit scales (normalisation layers);
 * `'none'` no rescaling symmetry (Sigmoid, Tanh): EC optimizers refuse it.
 */
export type ECRole = 'weight' | 'homogeneous' | 'join' | 'scale-cut' | 'none';

const NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Checks a layer's `options.name` (undefined: no name). */
export function checkLayerName(name: unknown, who: string): string | null {
  if (name === undefined || name === null) return null;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name) || name.includes('..') || name.endsWith('.')) {
    throw new ArgumentError(`${who}: options.name must be 1-128 letters, digits, '_', '-' or '.' (dots between parts, e.g. 'layer1.0.conv1'), got ${JSON.stringify(name)?.slice(0, 80) ?? String(name)}`);
  }
  return name;
}

/** Number of elements of a shape (a safe integer: shapes are checked by the layers that make them). */
export const sizeOf = (shape: readonly number[]): number => product(shape, 'shape');

/**
 * The base class of every layer (`Dense`, `Conv2D`, `ReLU`, ...): what a `Sequential` is built from.
 * Use it as a type (`Layer[]`, `instanceof Layer`) and read a built layer's shapes and parameters;
 * layers hold no tensor data, the model plans all memory. Layers outside this package are not
 * supported: the kernel interface layers call (`forward`, `backward`, ...) is internal.
 */
export abstract class Layer {
  /** Class name as users write it, e.g. 'Dense'. */
  abstract readonly kind: string;
  /** Per-sample input and output shapes, fixed when the model is built. */
  inShape: number[] = [];
  outShape: number[] = [];
  /** Every input's per-sample shape (joins have several; other layers one, equal to inShape). */
  inShapes: number[][] = [];
  /** Position in the model (node order), set by the model. */
  index = -1;
  /** The name given with `options.name`, or null (the node index names it). */
  name: string | null = null;
  /** Draws from the model's training-step count (Dropout): files then record the count. */
  readonly usesStep: boolean = false;
  /** What the layer is to the EC optimizers (see ECRole); every layer declares it. */
  abstract readonly ecRole: ECRole;
  /**
   * The symbolic output of `apply()`, once applied (one layer is one node of one graph).
   *
   * @internal
   */
  output: SymbolicTensor | null = null;
  /** Parameter specs (empty for parameter-free layers). */
  params: ParamSpec[] = [];
  /**
   * Non-trained state the layer keeps (BatchNorm's running_mean and running_var), saved with the
   * weights as `${name}.${buffer}`; empty for most layers.
   */
  buffers: ParamSpec[] = [];
  /**
   * Byte offsets of the buffers, set by the model.
   *
   * @internal
   */
  bufferPtr: number[] = [];
  /**
   * Byte offsets of parameters and their gradients, set by the model.
   *
   * @internal
   */
  paramPtr: number[] = [];
  /** @internal */
  gradPtr: number[] = [];
  /** Positively 1-homogeneous in its input (ReLU family, linear maps, pools): needed by EC optimizers. */
  get homogeneous(): boolean { return this.ecRole !== 'none'; }
  /**
   * Output is the input's bytes under another shape (Flatten): the model gives it the input's buffer
   * and skips its forward and backward calls.
   *
   * @internal
   */
  readonly isView: boolean = false;

  /**
   * Validates the input shape, fills params, returns the output shape (called by the model).
   *
   * @internal
   */
  abstract build(inShape: number[]): number[];
  /**
   * Validates the input shapes (one per input), fills params, returns the output shape. Layers of
   * one input take exactly one; joins (Add, Concat) override it.
   *
   * @internal
   */
  buildInputs(inShapes: number[][]): number[] {
    if (inShapes.length !== 1) throw new ShapeError(`${this.label} takes one input, got ${inShapes.length}`);
    const out = this.build(inShapes[0]);
    this.inShapes = [this.inShape];
    return out;
  }

  /**
   * Applies the layer to symbolic tensors (functional API): checks the shapes now (ShapeError
   * naming the layer) and returns its output tensor. `new Model({ inputs, outputs })` then plans
   * the graph. A layer can be applied once (it is one node; create another layer for another use).
   */
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    if (this.output) throw new ArgumentError(`${this.label}.apply: this layer is already applied (its output is ${this.output.describe()}); a layer is one node: create a new layer for another use`);
    if (this.index !== -1) throw new ArgumentError(`${this.label}.apply: this layer already belongs to a model; create a new layer instance`);
    if (list.length === 0) throw new ArgumentError(`${this.label}.apply: expected a symbolic tensor or an array of them, got an empty array`);
    list.forEach((t, i) => {
      if (!isSymbolicTensor(t)) {
        throw new ArgumentError(`${this.label}.apply: input ${i} is not a symbolic tensor (make one with input(shape) or another layer's apply()), got ${describeValue(t)}`);
      }
    });
    const shape = this.buildInputs(list.map((t) => t.shape.slice()));
    this.output = new SymbolicTensor(shape, this, list);
    return this.output;
  }
  /**
   * Bytes of scratch needed for a batch of B (a safe integer; the model checks it against the limits).
   *
   * @internal
   */
  scratchBytes(_k: Kernels, _B: number): number { return 0; }
  /**
   * Floats per sample this layer keeps from forward for backward (MaxPool2D's argmax): the model
   * plans them with the activations and passes them as `io.cache`.
   *
   * @internal
   */
  cacheFloatsPerSample(): number { return 0; }
  /**
   * Floats kept from forward for backward for a batch of B (default B * cacheFloatsPerSample();
   * BatchNorm keeps 2 per channel whatever B): the model plans them as `io.cache`.
   *
   * @internal
   */
  cacheFloats(B: number): number { return B * this.cacheFloatsPerSample(); }
  /**
   * Bytes of a fixed block the layer's kernels read (Conv2D's shape descriptor), allocated by the
   * model that owns the layer after build(); 0 for none.
   *
   * @internal
   */
  descriptorBytes(_k: Kernels): number { return 0; }
  /**
   * Writes the descriptor into the block the model allocated (null: the block was released).
   *
   * @internal
   */
  bindDescriptor(_k: Kernels, _ptr: number | null): void {}
  /**
   * Forward pass of a batch on the kernels (called by the model).
   *
   * @internal
   */
  abstract forward(k: Kernels, io: LayerIO): void;
  /**
   * Backward pass of a batch on the kernels (called by the model).
   *
   * @internal
   */
  abstract backward(k: Kernels, io: LayerIO): void;
  /**
   * Does nothing: layers own no memory since 0.2 (the model plans caches and descriptors).
   *
   * @deprecated Since 0.2.0: free a layer's memory with `model.dispose()`. Kept so that code calling
   * it still runs; removed in 1.0.0.
   */
  dispose?(): void;
  /** Constructor arguments and options as plain data (what a model spec stores for the layer). */
  abstract config(): Record<string, unknown>;

  /** `layer <index> (<description>)` (with its name if it has one), as error messages name the layer. */
  get label(): string {
    const name = this.name !== null ? ` '${this.name}'` : '';
    if (this.index >= 0) return `layer ${this.index}${name} (${this.describe()})`;
    return name ? `layer${name} (${this.describe()})` : `the ${this.describe()} layer`; // not in a model yet (apply)
  }
  /** A one-line description, e.g. `Dense 784->128` (used by `model.summary()` and messages). */
  describe(): string {
    return this.kind;
  }
  /** Values per sample of the input (the product of `inShape`). */
  get inSize(): number { return sizeOf(this.inShape); }
  /** Values per sample of the output (the product of `outShape`). */
  get outSize(): number { return sizeOf(this.outShape); }
}
