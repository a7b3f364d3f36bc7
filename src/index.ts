// Public entry point of the ecopt package. Every name exported here is listed in api/public-api.txt
// (test/api.node.test.ts keeps the two equal: a change of the surface is deliberate, `npm run
// api:update`) and every public one has a doc comment (the API reference: `npm run docs`). Names
// marked @internal (in their doc comment, or on their export statement below) stay exported for
// the package's own modules and tests, are left out of the reference and may change in any release.
export { init, getRuntime, type InitOptions, type Runtime } from './core/wasm.js';
/**
 * @internal The wasm kernel table (`runtime.kernels`): raw byte-offset entry points without checks
 * of their own. Use the model and optimizer API.
 */
export { type Kernels } from './core/wasm.js';
export { shutdown, MAX_THREADS } from './core/wasm.js';
export { Arena, MAX_MEMORY_BYTES, type Block } from './core/arena.js';
export { Layer, type InitKind, type ParamSpec, type LayerOptions, type ECRole } from './layers/layer.js';
export { Dense, type DenseOptions } from './layers/dense.js';
export { ReLU, LeakyReLU, PReLU, Sigmoid, Tanh, type PReLUOptions } from './layers/activation.js';
export { Sequential, type SequentialOptions } from './graph/sequential.js';
export { Model } from './graph/model.js';
export { type ModelOptions, type TrainOptions } from './graph/options.js';
export { type LoadOptions } from './graph/codec.js';
export { input, SymbolicTensor } from './graph/tensor.js';
export { type FitOptions, type ProgressEvent, type EpochLog, type BatchEndEvent, type EarlyStoppingOptions, type FitResult } from './train/fit.js';
export { Add, Concat, type ConcatOptions } from './layers/merge.js';
export { Optimizer, SGD, Momentum, Adam, type SGDOptions, type MomentumOptions, type AdamOptions, type OptimizerStateDict, type CommonOptions, type ParamGroupOptions } from './optim/optimizer.js';
export { loadMNIST, parseIDX, datasetFromIDX, limit, type Dataset, type IDX, type LoadMNISTOptions } from './data/data.js';
export { type DatasetImages, type TargetDataset, type TrainingData } from './data/dataset.js';
export { LOSS_NAMES, type LossName, type LossOptions, type Evaluation } from './graph/loss.js';
export { loadCIFAR10, CIFAR10_CLASSES, type LoadCIFAR10Options } from './data/cifar.js';
export { type AugmentOptions, type NormalizeOptions, type PredictOptions, type EvaluateOptions } from './data/augment.js';
export { ShapeError, ArgumentError, NonFiniteError, FormatError, StateError, MemoryError } from './core/errors.js';
export { Conv2D, type Conv2DOptions } from './layers/conv2d.js';
export { DepthwiseConv2D, type DepthwiseConv2DOptions } from './layers/depthwise.js';
export { ChannelPad, type ChannelPadOptions } from './layers/channel-pad.js';
export { MaxPool2D, AvgPool2D, GlobalAvgPool2D, type PoolOptions } from './layers/pool2d.js';
export { Flatten } from './layers/flatten.js';
export { BatchNorm1D, BatchNorm2D, type BatchNormOptions } from './layers/batchnorm.js';
export { Dropout, Dropout2D } from './layers/dropout.js';
export { resnet, plainnet, BasicBlock, type ResNetOptions, type BasicBlockOptions } from './zoo/resnet.js';
export { foldBatchNorm } from './zoo/fold.js';
export { ECSGD, ECMomentum, ECAdam, type ECOptions, type ECAdamOptions } from './ec/optimizers.js';
export { PathSGD } from './ec/path-sgd.js';
export { ecStructure, type ECStructure, type ECLayer } from './ec/structure.js';
export { loadFashionMNIST, mulberry32, FASHION_CLASSES, type LoadFashionMNISTOptions, type FashionMNIST } from './data/fashion.js';
export { checkSpec, SPEC_FORMAT, SPEC_VERSION, type ModelSpec, type LayerSpec } from './io/spec.js';
export { checkGraphSpec, GRAPH_SPEC_FORMAT, GRAPH_SPEC_VERSION, type GraphSpec, type GraphNodeSpec } from './io/graph-spec.js';
/** @internal The implementations behind `model.toSpec()` and `Sequential.fromSpec()` / `Model.fromSpec()`: use those. */
export { modelToSpec, modelFromSpec } from './io/checkpoint.js';
/**
 * @internal The serialization hooks behind `model.toSafetensors()` and `Sequential.fromSafetensors()`:
 * use those.
 */
export { modelToSafetensors, modelFromSafetensors } from './io/checkpoint.js';
export { loadOptimizerState, loadCheckpoint, type OptimizerRecord } from './io/checkpoint.js';
export { type SafetensorsOptions } from './graph/codec.js';
export {
  readSafetensors, writeSafetensors, tensorData, tensorIntegers,
  SPEC_KEY, OPTIMIZER_KEY, STATE_PREFIX, MAX_HEADER_BYTES,
  type SafetensorsFile, type SafetensorsEntry, type TensorToWrite,
} from './io/safetensors.js';
export { stepDecay, exponentialDecay, cosineDecay, linearWarmup, type LRSchedule, type ScheduleContext } from './train/schedules.js';
export { DATASET_KEY, readDatasetInfo, type DatasetInfo } from './io/safetensors.js';
export { type MNISTProgress } from './data/data.js';
// The one optimizer factory (kind -> constructor): createOptimizer('Adam', model, { lr }) and the kinds it knows.
export { createOptimizer, OPTIMIZER_KINDS, type OptimizerKind, type OptimizerOptionsByKind } from './optim/registry.js';
