// Module worker: loads MNIST and the ecopt kernels, trains, evaluates and classifies drawings, so
// the page's main thread never runs a kernel. The library is imported from the repository's dist/
// (its init() finds build/ecopt.wasm relative to dist/index.js).
//
// Messages in:  { type: 'load', threads?, trainLimit? }
//               { type: 'train', config: { model, optimizer, lr, epochs, batchSize, trainLimit, maxSteps, evalSize, seed } }
//               { type: 'stop' }
//               { type: 'predict', id, pixels: Float32Array(784) }
// Messages out: { type: 'runtime', threads, build, note }  { type: 'ready', train, test }  { type: 'status', text }
//               { type: 'download', loaded, total, file }  (bytes of the IDX files, while they arrive)
//               { type: 'start', totalSteps, parameters, model, optimizer }
//               { type: 'progress', step, totalSteps, epoch, loss, samplesPerSec, accuracy? }
//               { type: 'done', stopped, step, testLoss, testAccuracy, seconds }
//               { type: 'probs', id, probs }  { type: 'error', where, message, name }
import {
  init, loadMNIST, limit, Sequential, Dense, ReLU, Conv2D, MaxPool2D, Flatten, SGD, ECSGD,
} from '/dist/index.js';

let data = null;      // { train, test }: the first data.train.count training images, all 10,000 test images
let model = null;     // the current (or last trained) model
let training = false;
let stopRequested = false;

const MNIST_TRAIN = 60000;

class Stop extends Error {}

const post = (msg, transfer) => self.postMessage(msg, transfer ?? []);

async function load(threads, trainLimit) {
  post({ type: 'status', text: 'loading the wasm kernels…' });
  const rt = await init(threads > 1 ? { threads } : {});
  post({ type: 'runtime', threads: rt.threads, build: rt.build, note: rt.note ?? '' });
  await loadData(trainLimit);
}

/**
 * Downloads the first `trainLimit` training images (only their bytes: loadMNIST asks for a byte
 * range) and the test set, reporting the bytes as they arrive (at most every 100 ms, and the last).
 */
async function loadData(trainLimit) {
  const want = trainLimit > 0 && trainLimit < MNIST_TRAIN ? trainLimit : undefined;
  post({ type: 'status', text: 'downloading MNIST…' });
  const t0 = performance.now();
  let last = 0;
  data = await loadMNIST({
    baseURL: new URL('/mnist/', self.location.href),
    trainLimit: want,
    onProgress: ({ loaded, total, file }) => {
      const now = performance.now();
      if (loaded !== total && now - last < 100) return;
      last = now;
      post({ type: 'download', loaded, total, file });
    },
  });
  post({ type: 'ready', train: data.train.count, test: data.test.count, seconds: (performance.now() - t0) / 1000 });
}

function buildModel(kind, seed) {
  const layers = kind === 'cnn'
    ? [
      new Conv2D(1, 8, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Conv2D(8, 16, 5, { padding: 'same' }), new ReLU(), new MaxPool2D(2),
      new Flatten(), new Dense(16 * 7 * 7, 10),
    ]
    : [new Flatten(), new Dense(784, 128), new ReLU(), new Dense(128, 10)];
  return new Sequential(layers, { inputShape: [1, 28, 28], seed });
}

async function train(cfg) {
  if (!data) throw new Error('MNIST is not loaded yet');
  if (training) throw new Error('already training');
  training = true;
  stopRequested = false;
  if (model) { model.dispose(); model = null; }
  try {
    // more training images than were downloaded: fetch them first
    if (cfg.trainLimit > data.train.count && data.train.count < MNIST_TRAIN) await loadData(cfg.trainLimit);
    const trainSet = limit(data.train, cfg.trainLimit);
    const evalSet = limit(data.test, cfg.evalSize);
    model = buildModel(cfg.model, cfg.seed);
    const opt = cfg.optimizer === 'ecsgd' ? new ECSGD(model, { lr: cfg.lr }) : new SGD(model, { lr: cfg.lr });
    const batchSize = Math.min(cfg.batchSize, trainSet.count);
    const perEpoch = Math.ceil(trainSet.count / batchSize);
    const totalSteps = Math.min(cfg.epochs * perEpoch, cfg.maxSteps > 0 ? cfg.maxSteps : Infinity);
    // ~300 loss points and ~20 accuracy points per run, whatever its length
    const reportEvery = Math.max(1, Math.floor(totalSteps / 300));
    const evalEvery = Math.max(1, Math.floor(totalSteps / 20));
    post({ type: 'start', totalSteps, perEpoch, parameters: model.parameterCount, model: cfg.model, optimizer: opt.kind, trainCount: trainSet.count });

    // fit() reports the running mean of the epoch; differences of the running sums give the mean
    // loss of exactly the batches since the last report.
    let step = 0, prevSum = 0, prevN = 0, lastEpoch = 0, lastReported = 0, seen = 0, evalMs = 0;
    // training throughput without the time spent on the accuracy curve's evaluations
    const trainRate = () => seen / Math.max(1e-6, (performance.now() - t0 - evalMs) / 1000);
    const t0 = performance.now();
    const onProgress = (e) => {
      if (e.epoch !== lastEpoch) { lastEpoch = e.epoch; prevSum = 0; prevN = 0; }
      step++;
      const n = Math.min(e.batch * batchSize, trainSet.count);
      seen += n - (e.batch === 1 ? 0 : Math.min((e.batch - 1) * batchSize, trainSet.count));
      const sum = e.loss * n;
      const last = step === totalSteps;
      if (step % reportEvery === 0 || last || e.batch === e.batches) {
        const msg = {
          type: 'progress', step, totalSteps, epoch: e.epoch, epochs: e.epochs,
          loss: (sum - prevSum) / (n - prevN), epochLoss: e.loss, samplesPerSec: trainRate(),
        };
        prevSum = sum; prevN = n;
        if (step % evalEvery === 0 || last) {
          const te = performance.now();
          msg.accuracy = model.evaluate(evalSet).accuracy;
          evalMs += performance.now() - te;
        }
        lastReported = step;
        post(msg);
      }
      if (last) throw new Stop('budget');
      if (stopRequested) {
        if (lastReported !== step) post({ type: 'progress', step, totalSteps, epoch: e.epoch, epochs: e.epochs, loss: (sum - prevSum) / (n - prevN), epochLoss: e.loss, samplesPerSec: trainRate() });
        throw new Stop('user');
      }
    };
    let stopped = false;
    try {
      await model.fit(trainSet, { optimizer: opt, epochs: cfg.epochs, batchSize, seed: cfg.seed, onProgress, yieldEveryMs: 30 });
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      stopped = e.message === 'user';
    }
    const seconds = (performance.now() - t0) / 1000;
    const samplesPerSec = trainRate();
    post({ type: 'status', text: `evaluating on the ${data.test.count.toLocaleString('en')} test images…` });
    await new Promise((r) => setTimeout(r, 0));
    const final = model.evaluate(data.test);
    post({ type: 'done', stopped, step, seconds, samplesPerSec, testLoss: final.loss, testAccuracy: final.accuracy });
  } finally {
    training = false;
  }
}

function predict(id, pixels) {
  if (!model) throw new Error('train a model first');
  const logits = model.predict(pixels, 1);
  // softmax for display only (training math stays in wasm)
  let max = -Infinity;
  for (const v of logits) max = Math.max(max, v);
  const probs = new Float32Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) { probs[i] = Math.exp(logits[i] - max); s += probs[i]; }
  for (let i = 0; i < probs.length; i++) probs[i] /= s;
  post({ type: 'probs', id, probs, duringTraining: training }, [probs.buffer]);
}

function fail(where, e) {
  console.error(e);
  post({ type: 'error', where, name: e?.name ?? 'Error', message: String(e?.message ?? e) });
}

self.onmessage = (ev) => {
  const m = ev.data;
  switch (m.type) {
    case 'load': load(m.threads ?? 1, m.trainLimit ?? 0).catch((e) => fail('load', e)); break;
    case 'train': train(m.config).catch((e) => fail('train', e)); break;
    case 'stop': stopRequested = true; break;
    // runs between two training steps while fit() yields, so a drawing can be classified mid-training
    case 'predict': try { predict(m.id, m.pixels); } catch (e) { fail('predict', e); } break;
    default: fail('message', new Error(`unknown message type ${m.type}`));
  }
};
