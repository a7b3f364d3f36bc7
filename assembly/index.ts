// The wasm ABI surface: every kernel TypeScript may call, the enums it shares with them (each
// member becomes a global of the module) and the heap base above which TypeScript owns memory.
// Named re-exports only (no `export *`), so helpers the kernels share stay internal.
// scripts/gen-abi.mjs reads this surface from a build and writes src/core/abi.gen.ts.

// shared enums and block layouts
export { Skeleton, Frozen, Rule, ECHyper, ECLayerDesc, ECGraphDesc, Schedule, PoolSlot, ConvDesc } from './abi';

/** Start of the memory TypeScript owns: everything above the module's static data. */
export function heap_base(): usize {
  return __heap_base;
}

// GEMM
export { gemm_nn, gemm_nt, gemm_tn, gemm_scratch_bytes } from './gemm';

// Dense
export { dense_forward, dense_backward, bias_add_rows, col_sums } from './dense';

// activations
export {
  relu_forward, relu_backward, leaky_relu_forward, leaky_relu_backward, prelu_forward, prelu_backward,
  sigmoid_forward, sigmoid_backward, tanh_forward, tanh_backward,
} from './activation';

// Conv2D
export { conv2d_desc, conv2d_desc_bytes, conv2d_scratch_bytes, conv2d_forward, conv2d_backward } from './conv2d';

// DepthwiseConv2D (the Conv2D descriptor with O = C * depth multiplier)
export { depthwise_conv2d_forward, depthwise_conv2d_backward } from './depthwise';

// ChannelPad (the zero-pad shortcut)
export { channel_pad_forward, channel_pad_backward } from './channel-pad';

// pools
export {
  maxpool2d_forward, maxpool2d_backward, avgpool2d_forward, avgpool2d_backward,
  global_avgpool_forward, global_avgpool_backward,
} from './pool2d';

// loss and predictions
export {
  softmax_xent_forward_backward, softmax_xent_eval, softmax_xent_smooth_forward_backward, softmax_xent_smooth_eval,
  softmax_forward, argmax_rows,
} from './loss';
export { bce_logits_forward_backward, bce_logits_eval } from './bce';
export { mse_forward_backward, huber_forward_backward, regression_eval } from './regression';

// optimizers
export { sgd_update, momentum_update, adam_update } from './optimizer';

// learning-rate schedules
export { lr_schedule } from './schedule';

// initialisation and shuffling
export { init_uniform, init_normal, permutation } from './random';

// batch normalisation
export { batchnorm_forward_train, batchnorm_forward_eval, batchnorm_backward } from './batchnorm';

// dropout
export { dropout_forward, dropout_backward } from './dropout';

// input preparation: bytes to [0, 1], random crop and flip, per-channel normalization
export { bytes_to_unit, crop_flip, augment_sample, normalize_channel } from './augment';

// joins (Concat) and gradient clipping
export { copy_rows_f32 } from './merge';
export { clip_grad_norm } from './clip';

// elementwise helpers
export {
  fill_f32, scale_f32, axpy_f32, copy_bytes, count_nonfinite, first_nonfinite, first_bad_label,
  sum_f32, sumsq_f32, gather_rows_f32,
} from './util';

// EC-Opt: chains, masks, layer descriptors, bulk passes, skeleton edges, symmetry helpers; Path-SGD
export {
  ec_hyper_prepare, ec_chain_beta, ec_chain_phi, ec_set_skeleton, ec_make_mask, ec_recip,
  ec_layer_desc_bytes, ec_layer_desc, ec_layer_units, ec_sums, ec_pass1, ec_pass2,
  ec_skeleton_u, ec_skeleton_save_state, ec_skeleton_unbulk, ec_accum_down, ec_accum_up, ec_skeleton_step,
  ec_trust_lr, ec_skeleton_ratio, ec_ratio_phi, ec_ratio_beta, ec_skeleton_save, ec_skeleton_apply,
  ec_scale_head, ec_scale_tail,
  path_gamma_forward, path_gamma_backward, path_sgd_update,
} from './ec';
// EC-Opt on graphs: the whole-graph step (ECGraphDesc block, graph row passes)
export {
  ecg_desc_bytes, ecg_set, ecg_gather, ecg_set_skeleton, ecg_mask, ecg_chains, ecg_bn_scale, ecg_icr, ecg_ratio,
  ecg_save, ecg_apply, ecg_pass_v2, ecg_pass1, ecg_pass2,
} from './ec_graph';

// thread pool (threads builds; no-ops elsewhere)
export { pool_attach, pool_fault, pool_worker_scratch_bytes, worker_run } from './threads';
