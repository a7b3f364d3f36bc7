// What an optimizer needs of the model it steps (a Model or Sequential has all of it): the
// parameter and gradient regions, the kernels and arena, attachment of its state and the step
// backup, and liveness checks. Optimizers see the model through this, so optim/ does not import
// graph/ (no import cycle between models and optimizers).
import type { Kernels } from '../core/wasm.js';
import type { Arena, Block } from '../core/arena.js';
import type { Layer } from '../layers/layer.js';

/** The model an optimizer steps, as the optimizer sees it. */
export interface OptimizerHost {
  /** "Model #3", for messages. */
  readonly name: string;
  readonly layers: Layer[];
  readonly kernels: Kernels;
  readonly arena: Arena;
  readonly paramBase: number;
  readonly gradBase: number;
  readonly paramRegionFloats: number;
  readonly isDisposed: boolean;
  checkAlive(what?: string): void;
  checkTraining(what: string): void;
  allocBlock(bytes: number, what: string): Block;
  prepareAttach(stateCount: number): Block | null;
  commitAttach(opt: object, prepared: Block | null): void;
  abortAttach(prepared: Block | null): void;
  detachOptimizer(opt: object): void;
  backupBlock(): { block: Block | null; floats: number };
  locate(i: number): string;
  getWeights(): Float32Array[];
  setWeights(ws: Float32Array[]): void;
  weightSpecs(): { name: string; shape: number[] }[];
}
