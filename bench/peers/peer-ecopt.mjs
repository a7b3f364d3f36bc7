// ecopt: the library under test (dist/ build), SGD and EC-SGD, on Float32Array batches.
import { init, getRuntime, Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, SGD, ECSGD } from '../../dist/index.js';
import { WORKLOADS, mnistBatches } from './data.mjs';

function build(workload) {
  return workload === 'mlp'
    ? new Sequential([new Dense(784, 512), new ReLU(), new Dense(512, 512), new ReLU(), new Dense(512, 10)], { seed: 0 })
    : new Sequential([
      new Conv2D(1, 32, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Conv2D(32, 64, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Flatten(), new Dense(3136, 10),
    ], { inputShape: [1, 28, 28], seed: 0 });
}

// One thread, like every peer here (init() defaults to all cores in Node; ECOPT_THREADS overrides that
// default but not an explicit option).
export async function setup(variant, workload) {
  await init({ threads: 1 });
  const rt = getRuntime();
  const runtime = { threads: rt.threads, build: rt.build };
  const { lr } = WORKLOADS[workload];
  const batches = await mnistBatches(workload);
  if (variant === 'ec-ab') return abSetup(workload, lr, batches, runtime);
  const model = build(workload);
  const opt = variant === 'sgd' ? new SGD(model, { lr }) : new ECSGD(model, { lr });
  return {
    info: { ...runtime, optimizer: opt.kind, options: variant === 'sgd' ? { lr } : opt.options() },
    step(i) {
      const b = batches[i % batches.length];
      return model.trainBatch(b.images, b.labels, opt);
    },
  };
}

// EC overhead measured finely: two models in one process, an SGD step and an EC-SGD step
// alternately, each timed; report() hands back the step times since the last report. Adjacent
// steps are milliseconds apart, so machine load affects both alike.
function abSetup(workload, lr, batches, runtime) {
  const models = [build(workload), build(workload)];
  const opts = [new SGD(models[0], { lr }), new ECSGD(models[1], { lr })];
  let times = [[], []];
  return {
    info: { ...runtime, optimizers: opts.map((o) => o.kind), note: 'alternating SGD / EC-SGD steps, each timed' },
    step(i) {
      const k = i & 1;
      const b = batches[(i >> 1) % batches.length];
      const t0 = performance.now();
      const loss = models[k].trainBatch(b.images, b.labels, opts[k]);
      times[k].push(performance.now() - t0);
      return loss;
    },
    report() {
      const r = { sgdMs: times[0], ecMs: times[1] };
      times = [[], []];
      return r;
    },
  };
}
