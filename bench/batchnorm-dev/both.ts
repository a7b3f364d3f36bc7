// Bench module of bench/batchnorm.mjs: the product BatchNorm kernels (assembly/batchnorm.ts), the
// scalar baseline they replaced (scalar.ts) and ReLU's (what fusing BN + ReLU could save).
export { batchnorm_forward_train, batchnorm_forward_eval, batchnorm_backward } from '../../assembly/batchnorm';
export { scalar_batchnorm_forward_train, scalar_batchnorm_forward_eval, scalar_batchnorm_backward } from './scalar';
export { relu_forward, relu_backward } from '../../assembly/activation';
