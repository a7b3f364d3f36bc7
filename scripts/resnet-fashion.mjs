#!/usr/bin/env node
// ResNet and PlainNet on the full Fashion-MNIST (60,000 training and 10,000 test images), the
// documented long run of the "Modern CNNs" issue (not a CI test: it takes hours on two cores).
//
//   node scripts/resnet-fashion.mjs [--arch resnet|plainnet] [--depth 20] [--epochs 10] [--batch 128]
//        [--lr 0.1] [--threads N] [--out docs/results/resnet-fashion/<arch><depth>.json]
//
// Recipe (the CIFAR ResNet one, scaled to the epochs given): Momentum 0.9, lr 0.1 with cosine decay
// per step, weight decay 5e-4 except on BatchNorm, batch 128, random crops (padding 2) and
// horizontal flips, inputs normalized by Fashion-MNIST's mean and std. After every epoch it writes
// the out file (the run so far: per-epoch train loss, test loss and accuracy, seconds, samples/s,
// the weights' SHA-256), so a long run can be watched and an interrupted one still says how far it got.
import { createHash } from 'node:crypto';
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { execSync } from 'node:child_process';
import { init, loadFashionMNIST, resnet, plainnet, Momentum, cosineDecay, BatchNorm2D } from '../dist/index.js';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
  if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
  return acc;
}, []));
const arch = args.arch ?? 'resnet';
if (arch !== 'resnet' && arch !== 'plainnet') throw new Error(`--arch must be resnet or plainnet, got ${arch}`);
const depth = Number(args.depth ?? 20);
const epochs = Number(args.epochs ?? 10);
const batchSize = Number(args.batch ?? 128);
const lr = Number(args.lr ?? 0.1);
const out = args.out ?? `docs/results/resnet-fashion/${arch}${depth}.json`;

const runtime = await init(args.threads ? { threads: Number(args.threads) } : {});
const { train, test } = await loadFashionMNIST();
const model = (arch === 'resnet' ? resnet : plainnet)({ depth, inputShape: [1, 28, 28], classes: 10, seed: 0 });
const bn = model.layers.filter((l) => l instanceof BatchNorm2D);
const optimizer = new Momentum(model, { lr, momentum: 0.9, weightDecay: 5e-4, groups: [{ layers: bn, weightDecay: 0 }] });
const normalize = { mean: [0.2860], std: [0.3530] };
let commit = 'unknown';
try { commit = execSync('git rev-parse --short HEAD').toString().trim(); } catch { /* not a checkout */ }
const record = {
  what: `${arch}({ depth: ${depth} }) on the full Fashion-MNIST`, commit, threads: runtime.threads, parameters: model.parameterCount,
  recipe: { optimizer: 'Momentum 0.9', lr, schedule: 'cosineDecay per step', weightDecay: '5e-4 (BatchNorm: 0)', batchSize, epochs, augment: { padding: 2, flip: true }, normalize },
  command: `node scripts/resnet-fashion.mjs ${process.argv.slice(2).join(' ')}`.trim(), started: new Date().toISOString(), epochs: [],
};
const save = () => {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(record, null, 2) + '\n');
};
const sha = () => {
  const h = createHash('sha256');
  for (const w of model.getWeights()) h.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  return h.digest('hex');
};
console.log(`${record.what}: ${model.parameterCount} parameters, ${runtime.threads} thread(s), ${epochs} epochs -> ${out}`);
let last = 0;
await model.fit(train, {
  optimizer, epochs, batchSize, seed: 0, augment: { padding: 2, flip: true }, normalize, lrSchedule: cosineDecay({ per: 'step' }),
  onProgress: (p) => {
    if (Date.now() - last < 60000) return;
    last = Date.now();
    console.log(`  epoch ${p.epoch} batch ${p.batch}/${p.batches}: loss ${p.loss.toFixed(4)}, ${p.samplesPerSec.toFixed(0)} samples/s, eta ${(p.etaSec / 60).toFixed(0)} min`);
  },
  onEpochEnd: (log) => {
    const ev = model.evaluate(test, { normalize });
    const row = { epoch: log.epoch, trainLoss: log.loss, testLoss: ev.loss, testAccuracy: ev.accuracy, seconds: log.seconds, samplesPerSec: log.samplesPerSec, sha256: sha() };
    record.epochs.push(row);
    save();
    console.log(`epoch ${log.epoch}: train loss ${log.loss.toFixed(4)}, test accuracy ${(100 * ev.accuracy).toFixed(2)}%, ${log.seconds.toFixed(0)} s`);
  },
});
record.finished = new Date().toISOString();
save();
model.dispose();
