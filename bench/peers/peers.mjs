// The peers of the side-by-side benchmark: id -> implementation module, variant and the workloads it
// takes part in. Each runs in its own child process (worker.mjs).
// `ab`: not a throughput peer, measures the EC-SGD / SGD step-time ratio (run.mjs reports it apart).
// `slow`: workloads where the peer is skipped unless --slow is given or it is named in --peers
// (tfjs-cpu needs minutes per batch-64 CNN step).
export const PEERS = {
  'ecopt-sgd': { label: 'ecopt SGD', module: './peer-ecopt.mjs', variant: 'sgd', workloads: ['mlp', 'cnn'] },
  'ecopt-ecsgd': { label: 'ecopt EC-SGD', module: './peer-ecopt.mjs', variant: 'ecsgd', workloads: ['mlp', 'cnn'] },
  'ecopt-ec-ab': { label: 'ecopt SGD/EC-SGD alternating', module: './peer-ecopt.mjs', variant: 'ec-ab', workloads: ['mlp', 'cnn'], ab: true },
  'tfjs-wasm-layers': { label: 'tfjs-wasm tf.layers', module: './peer-tfjs.mjs', variant: 'layers', opts: { backend: 'wasm' }, workloads: ['mlp', 'cnn'] },
  'tfjs-wasm-core': { label: 'tfjs-wasm core, XNNPACK-routed', module: './peer-tfjs.mjs', variant: 'core', opts: { backend: 'wasm' }, workloads: ['mlp'] },
  'tfjs-wasm-core-autodiff': { label: 'tfjs-wasm core, autodiff', module: './peer-tfjs.mjs', variant: 'core-autodiff', opts: { backend: 'wasm' }, workloads: ['mlp'] },
  'tfjs-wasm-layers-shim': { label: 'tfjs-wasm tf.layers + SHIM', module: './peer-tfjs.mjs', variant: 'layers-shim', opts: { backend: 'wasm' }, workloads: ['cnn'] },
  'tfjs-cpu-layers': { label: 'tfjs-cpu tf.layers', module: './peer-tfjs.mjs', variant: 'layers', opts: { backend: 'cpu' }, workloads: ['mlp', 'cnn'], slow: ['cnn'] },
  'convnetjs': { label: 'ConvNetJS', module: './peer-convnetjs.mjs', variant: 'default', workloads: ['mlp', 'cnn'] },
};
