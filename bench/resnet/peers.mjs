// The peers of the residual-network benchmark (bench/resnet.mjs): id -> label, implementation module,
// variant, the thread counts it can run at, and why it is left out of a default run (if it is).
// Each (peer, thread count) runs in its own child process (worker.mjs).
export const PEERS = {
  'ecopt-sgd': { label: 'ecopt SGD', module: './peer-ecopt.mjs', variant: 'sgd', threads: 'any', profile: true },
  'ecopt-ecsgd': { label: "ecopt EC-SGD 'graph'", module: './peer-ecopt.mjs', variant: 'ecsgd', threads: 'any', profile: true },
  'tfjs-wasm': { label: 'tfjs-wasm tf.layers + SHIM', module: './peer-tfjs.mjs', threads: [1], note: 'tfjs-backend-wasm runs one thread in Node (its threaded binary is not used there)' },
  'jax-js': {
    label: 'jax-js jit', module: './peer-jax.mjs', threads: [1],
    note: 'jax-js runs one thread in Node (its worker pool needs a global Worker)',
    skip: 'left out of default runs as impractically slow: jax-js 0.1.25 can express the nets (lax.convGeneralDilated with strides ' +
      'and padding, BatchNorm from mean/variance, add; the jit\'d step trains, loss 2.49 -> 2.21 in 3 steps), but its wasm ' +
      'convolutions are slow at these shapes: measured on this machine (2026-12-01, one thread, the study at nice 15 in the background), ResNet-20 at batch 128 took ' +
      '313 s for the first step (trace + compile + run) and 124-161 s per step after that (~1 sample/s, over 60x below ' +
      'ecopt at one thread); a single 3x3 conv 16->16 on 128x16x32x32 ran forward in 3.5 s (0.17 GFLOP/s) under jit. ' +
      'Name it in --peers (with --max-step 0, or the runner drops it after its second warm-up step) to measure it anyway; a full run then takes over an hour.',
  },
};
