// Every benchmark that docs/benchmarks.md shows, in the order `npm run bench:all` runs them: the
// script, its arguments, the flag that names its JSON output, and the module whose render(json)
// turns that JSON into the page's markdown. The raw JSON of each run is committed as
// docs/benchmarks/<id>.json, so the page can be re-rendered (and checked) without re-running.
export const SUITES = [
  { id: 'peers', script: 'bench/peers/run.mjs', args: ['--rounds', '5', '--seconds', '2'], outFlag: '--out', report: './peers/report.mjs',
    what: 'MLP and CNN training throughput, one thread, against tfjs-wasm, tfjs-cpu and ConvNetJS' },
  { id: 'threads', script: 'bench/threads.mjs', args: ['--pairs', '7', '--phase-pairs', '3', '--predict-pairs', '5'], outFlag: '--json', report: './threads/report.mjs',
    what: 'one against two threads: training-step speedup, weights bit-identical, batch-1 predict, where a step goes' },
  { id: 'resnet', script: 'bench/resnet.mjs', args: ['--autogroup-nice', '-10'], outFlag: '--out', report: './resnet/report.mjs',
    what: 'ResNet-20 and PlainNet-20 training throughput against tfjs-wasm, and where a step goes' },
  { id: 'jax-node', script: 'bench/jax/run.mjs', args: ['--rounds-mlp', '7', '--rounds-cnn', '3'], outFlag: '--out', report: './jax/report.mjs', benchDeps: true,
    what: "jax-js's MNIST demo models in Node" },
  { id: 'jax-chromium', script: 'bench/jax/browser.mjs', args: ['--rounds-mlp', '7', '--rounds-cnn', '3'], outFlag: '--out', report: './jax/report.mjs', benchDeps: true,
    what: "jax-js's MNIST demo models in headless Chromium" },
  { id: 'infer', script: 'bench/infer/run.mjs', args: ['--rounds', '9'], outFlag: '--out', report: './infer/report.mjs', benchDeps: true,
    what: 'predict() latency against onnxruntime-web, tfjs-wasm and jax-js' },
  { id: 'simd-peak', script: 'bench/simd-peak.mjs', args: ['--seconds', '0.4', '--rounds', '7'], outFlag: '--json', report: './simd-peak/report.mjs',
    what: 'the wasm SIMD peak and the training GEMM shapes as a fraction of it' },
  { id: 'ec-graph', script: 'bench/ec-graph-overhead.mjs', args: ['1', '32', '7'], outFlag: '--out', report: './ec-graph/report.mjs',
    what: 'the EC update on ResNet-20 and PlainNet-20' },
  { id: 'memory', script: 'bench/memory.mjs', args: [], outFlag: '--json', report: './memory/report.mjs',
    what: 'bytes of wasm memory per parameter while training' },
];
