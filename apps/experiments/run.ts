// Reproduction experiments for EC-Opt (G-SGD, Meng et al. arXiv 1802.03713), Node only:
//   mnist-mlp        MLP 784-64-64-64-64-10 (bias-free) on MNIST, SGD / EC-SGD / Path-SGD / momentum / Adam
//   mnist-authors    the authors' published MNIST run (300 epochs, lr 0.1, 60k) with init controls, resumable
//   fashion-width    2-hidden-layer MLPs on Fashion-MNIST, accuracy gap EC-SGD - SGD vs hidden width
//   unbalanced-init  one network, hidden units rescaled by powers of 2 within [1/c, c]: final accuracy vs c
//   mnist-cnn        small CNN on MNIST, SGD / EC-SGD / Adam / EC-Adam
//   overhead         median time per training step, EC-SGD and Path-SGD relative to SGD
//   resnet-study     PlainNet vs ResNet (BatchNorm) at depths 8 and 20 on Fashion-MNIST 10k: SGD, EC-SGD whole-graph and per-block, resumable
// Each writes results.json (with the commit, build, command, data and every run's weights SHA-256),
// table.md and SVG plots to its output directory and returns a summary.
// This file: the experiment table (name -> runner, summary, defaults) and runExperiment, which runs one
// and writes its outputs; each experiment lives in its own file beside it.
import { provenance } from './provenance.js';
import type { ExperimentOptions } from './options.js';
import type { ExperimentResult, Runner } from './records.js';
import { mnistMLP } from './mnist-mlp.js';
import { mnistAuthors } from './mnist-authors.js';
import { fashionWidth } from './fashion-width.js';
import { unbalancedInit } from './unbalanced-init.js';
import { mnistCNN } from './mnist-cnn.js';
import { overhead } from './overhead.js';
import { resnetStudy } from './resnet-study.js';

const stdoutLog = (line: string) => { process.stdout.write(line + '\n'); };

/** Writes each file into dir (created if needed); none when dir is null. Returns the paths written. */
async function writeOutputs(dir: string | null, files: Record<string, string>): Promise<string[]> {
  if (dir === null) return [];
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  await fs.mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (const [name, content] of Object.entries(files)) {
    const p = path.join(dir, name);
    await fs.writeFile(p, content);
    out.push(p);
  }
  return out;
}

export const EXPERIMENTS: Record<string, { summary: string; run: Runner; defaults: string }> = {
  'mnist-mlp': { summary: 'MLP 784-64x4-10 (bias-free) on MNIST: SGD, EC-SGD (unit-skeleton, preserve), Path-SGD, Momentum/EC-Momentum, Adam/EC-Adam; lr by grid on a validation split', run: mnistMLP, defaults: 'epochs 20, grid epochs 2' },
  'mnist-authors': { summary: "the authors' MNIST run: MLP 784-64x4-10 (bias-free), lr 0.1 exp(-0.01 t) (t from 1), 60k, 300 epochs; SGD, EC-SGD and init controls (torch init, EC-SGD's unit-skeleton start); resumable (<out>/runs.jsonl)", run: mnistAuthors, defaults: 'epochs 300, seeds 3, arms sgd,ecsgd,sgd@torch,sgd@he+unit,ecsgd@torch,sgd@torch+unit' },
  'fashion-width': { summary: '2-hidden-layer MLPs on Fashion-MNIST, widths 32..1024: accuracy gap EC-SGD minus SGD vs width, with init controls (SGD from torch init and from EC-SGD\'s start)', run: fashionWidth, defaults: 'epochs 10, widths 32,64,128,256,512,1024, grid epochs 2' },
  'unbalanced-init': { summary: 'one network, hidden units rescaled by powers of 2 within [1/c, c]: final accuracy vs c for SGD and EC-SGD', run: unbalancedInit, defaults: 'epochs 5, c in 1,2,5,10,100' },
  'mnist-cnn': { summary: 'small CNN on MNIST: SGD, EC-SGD, Adam, EC-Adam', run: mnistCNN, defaults: 'epochs 3, cnn-small, grid epochs 1 on 10k' },
  'resnet-study': { summary: "PlainNet and ResNet (BatchNorm) at depths 8 and 20 on 10k Fashion-MNIST images: SGD, EC-SGD whole-graph and per-block, paired gaps with 95% intervals (the paper's claim: a larger gain for PlainNet); resumable (<out>/runs.jsonl)", run: resnetStudy, defaults: 'epochs 5, seeds 3, depths 8,20, optimizers sgd,ecsgd-graph,ecsgd-blocks' },
  overhead: { summary: 'median time per training step of EC-SGD, Path-SGD (and EC-Momentum/EC-Adam) relative to SGD; MLP 784-512-512-10 batch 128 and the CNN batch 64', run: overhead, defaults: 'steps 30 (MLP) / 10 (CNN), full cnn' },
};

/** Runs one experiment, prints progress and the final table, writes results.json, table.md and SVGs. */
export async function runExperiment(name: string, options: ExperimentOptions = {}, command = `ecopt experiment ${name}`): Promise<ExperimentResult> {
  const exp = EXPERIMENTS[name];
  if (!exp) throw new RangeError(`unknown experiment '${name}' (one of: ${Object.keys(EXPERIMENTS).join(', ')})`);
  const log = options.log ?? stdoutLog;
  const t0 = performance.now();
  const started = new Date().toISOString();
  const outDir = options.out === undefined ? `out/${name}` : options.out;
  const prov = await provenance();
  const r = await exp.run({ ...options, out: outDir }, log);
  const seconds = (performance.now() - t0) / 1000;
  const os = await import('node:os');
  const env = { threads: prov.build.threads, node: prov.node, platform: prov.platform, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, started, seconds };
  const json = { experiment: name, description: r.description, command, commit: prov.commit, build: prov.build, config: r.config, environment: env, table: r.table, ...r.data };
  const tableDoc = `# ${name}\n\n${r.description}\n\nCommand: \`${command}\` (commit ${prov.commit}, ${prov.build.name} build)\n\n${r.table}\n\n(${seconds.toFixed(0)} s on ${env.cpus} cores, ${env.node})\n`;
  const files = await writeOutputs(outDir, { 'results.json': JSON.stringify(json, null, 1) + '\n', 'table.md': tableDoc, ...r.svgs });
  log('');
  log(`${name}: ${r.description}`);
  log(r.table);
  log(`(${seconds.toFixed(1)} s)${files.length ? `  wrote ${files.join(', ')}` : ''}`);
  return { experiment: name, description: r.description, command, config: r.config, table: r.table, data: r.data, files, seconds };
}

