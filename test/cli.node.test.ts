// The `ecopt` command line (runs the built dist/apps/cli/main.js, as `npm test` builds first): --help for
// every command exits 0, bad usage exits 2 with a message, a tiny training run prints valid JSON,
// and a model saved with --save evaluates with `ecopt eval` to the same accuracy.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readSafetensors, writeSafetensors, tensorData } from '../src/io/safetensors.js';
import { cifarFiles } from './data/cifar-files.js';

const cli = fileURLToPath(new URL('../dist/apps/cli/main.js', import.meta.url));
let dir = '';

function run(...args: string[]) {
  // one kernel thread: the tests stay light on shared machines (threads are tested elsewhere)
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ECOPT_THREADS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('dist/apps/cli/main.js is missing: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'ecopt-cli-'));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** An IDX file: big-endian header (0, 0, 0x08, ndim, sizes), then the bytes. */
function idx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const v = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Writes n random images of side x side pixels and their labels (0..9) as IDX files; returns the --dataset value. */
function idxDataset(name: string, n: number, side: number): string {
  let a = 12345;
  const next = () => { a = (Math.imul(a, 1103515245) + 12345) >>> 0; return a >>> 24; };
  const images = new Uint8Array(n * side * side).map(() => next());
  const labels = new Uint8Array(n).map(() => next() % 10);
  const fi = join(dir, `${name}-images.idx`), fl = join(dir, `${name}-labels.idx`);
  writeFileSync(fi, idx([n, side, side], images));
  writeFileSync(fl, idx([n], labels));
  return `idx:${fi},${fl}`;
}

/** The file's 'ecopt.dataset' metadata, parsed (undefined when absent). */
function datasetMeta(file: string): unknown {
  const text = readSafetensors(new Uint8Array(readFileSync(file))).metadata['ecopt.dataset'];
  return text === undefined ? undefined : JSON.parse(text);
}

/** Rewrites a model file with its 'ecopt.dataset' metadata replaced (null: removed). */
function withDatasetMeta(src: string, dst: string, text: string | null): string {
  const f = readSafetensors(new Uint8Array(readFileSync(src)));
  const meta = { ...f.metadata };
  if (text === null) delete meta['ecopt.dataset']; else meta['ecopt.dataset'] = text;
  writeFileSync(dst, writeSafetensors(f.tensors.map((t) => ({ name: t.name, shape: t.shape, data: tensorData(t) })), meta));
  return dst;
}

describe('ecopt CLI', () => {
  it.each(['train', 'eval', 'bench', 'experiment'])('%s --help exits 0 with usage', (cmd) => {
    const r = run(cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: ecopt ${cmd}`);
  });

  it('--help and no command', () => {
    expect(run('--help').code).toBe(0);
    const r = run();
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: ecopt <command>');
  });

  it.each([
    [['frobnicate'], 'unknown command'],
    [['train', '--nope', '1'], 'unknown option --nope'],
    [['train', '--optimizer', 'rmsprop'], '--optimizer must be one of'],
    [['train', '--lr', 'abc'], '--lr must be a positive number'],
    [['train', '--batch', '0'], '--batch must be an integer'],
    [['train', '--epochs'], 'needs a value'],
    [['train', '--model', '784-x-10'], '--model must be'],
    [['train', '--model', '100-10', '--limit', '64'], '--model must start with 784'],
    [['train', '--dataset', 'cifar'], '--dataset must be'],
    [['train', '--threads', '0', '--limit', '64'], '--threads must be an integer >= 1'],
    [['eval'], 'missing the model file'],
    [['experiment'], 'missing the experiment name'],
    [['experiment', 'nope'], "unknown experiment 'nope'"],
    [['experiment', 'mnist-mlp', '--seeds', '-1'], '--seeds must be'],
    [['experiment', 'mnist-mlp', '--optimizers', 'sgd@torch'], 'mnist-mlp takes optimizer ids, not arms'],
    [['experiment', 'mnist-authors', '--optimizers', 'sgd@xavier'], "unknown start 'xavier'"],
    [['bench', '--cnn', 'resnet'], '--cnn must be'],
  ])('bad usage %j exits 2 with a message', (args, msg) => {
    const r = run(...(args as string[]));
    expect(r.code).toBe(2);
    expect(r.err).toContain(msg);
  });

  // Found a bug (fixed): --save was checked only after training, so a typo in the directory cost the whole run.
  it('--save into a missing directory fails before training (exit 2, no epoch printed)', () => {
    const r = run('train', '--limit', '256', '--epochs', '1', '--save', join(dir, 'no-such-dir', 'm.safetensors'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no-such-dir.*does not exist or is not writable \(checked before training\)/);
    expect(r.out).not.toMatch(/epoch/i);
    const d = run('train', '--limit', '256', '--epochs', '1', '--save', dir);
    expect(d.code).toBe(2);
    expect(d.err).toMatch(/is a directory/);
  });

  it('a failure exits 1 with a message', () => {
    const r = run('eval', join(dir, 'missing.safetensors'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot read/);
  });

  it('train --limit 512 --epochs 1 --json prints valid JSON with testAccuracy; --save then eval agrees', () => {
    const file = join(dir, 'm.safetensors');
    const r = run('train', '--limit', '512', '--epochs', '1', '--test-limit', '1000', '--model', '784-32-10', '--json', '--save', file);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.testAccuracy).toBeGreaterThan(0.3);
    expect(j.testAccuracy).toBeLessThanOrEqual(1);
    expect(j.trainSamples).toBe(512);
    expect(j.samplesPerSec).toBeGreaterThan(0);
    const e = run('eval', file, '--test-limit', '1000', '--json');
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).testAccuracy).toBe(j.testAccuracy);
  });

  it('train an EC optimizer on the small CNN (plain lines when not a TTY)', () => {
    const r = run('train', '--model', 'cnn-small', '--optimizer', 'ecsgd', '--lr', '0.05', '--limit', '256', '--test-limit', '256', '--epochs', '1');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('epoch 1/1');
    expect(r.out).not.toContain('\r');
    expect(r.out).toMatch(/test accuracy \d+\.\d+%/);
  });

  it('--model accepts a JSON spec file (Sequential.fromSpec); a bad spec fails with exit 1 naming the field', () => {
    const spec = join(dir, 'mlp.json');
    writeFileSync(spec, JSON.stringify({
      format: 'ecopt.sequential', version: 1,
      layers: [{ type: 'Dense', inFeatures: 784, outFeatures: 16 }, { type: 'ReLU' }, { type: 'Dense', inFeatures: 16, outFeatures: 10 }],
    }));
    const r = run('train', '--model', spec, '--limit', '256', '--test-limit', '256', '--epochs', '1', '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).parameters).toBe(784 * 16 + 16 + 16 * 10 + 10);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ format: 'ecopt.sequential', version: 1, layers: [{ type: 'Dense', inFeatures: 784, outFeatures: -3 }] }));
    const b = run('train', '--model', bad, '--limit', '64', '--epochs', '1');
    expect(b.code).toBe(1);
    expect(b.err).toContain('outFeatures');
  });

  // Regression: `ecopt eval` silently assumed MNIST whatever the model was trained on.
  describe('the dataset travels in the model file (ecopt.dataset metadata)', () => {
    let mnistFile = '';
    let fashionFile = '';
    let fashionAcc = 0;
    beforeAll(() => {
      mnistFile = join(dir, 'mnist.safetensors');
      const m = run('train', '--limit', '256', '--epochs', '1', '--test-limit', '300', '--model', '784-16-10', '--json', '--save', mnistFile);
      expect(m.code, m.err).toBe(0);
      fashionFile = join(dir, 'fashion.safetensors');
      const f = run('train', '--dataset', 'fashion-mnist', '--limit', '256', '--epochs', '1', '--test-limit', '300', '--model', '784-16-10', '--json', '--save', fashionFile);
      expect(f.code, f.err).toBe(0);
      fashionAcc = JSON.parse(f.out).testAccuracy;
    });

    it('train --save writes the dataset, its sample shape, classes and preprocessing', () => {
      expect(datasetMeta(mnistFile)).toEqual({ name: 'mnist', sampleShape: [1, 28, 28], classes: 10, preprocessing: 'scale-0-1' });
      expect(datasetMeta(fashionFile)).toEqual({ name: 'fashion-mnist', sampleShape: [1, 28, 28], classes: 10, preprocessing: 'scale-0-1' });
    });

    it('eval without --dataset uses the file\'s dataset (Fashion-MNIST here, same accuracy as at training)', () => {
      const e = run('eval', fashionFile, '--test-limit', '300', '--json');
      expect(e.code, e.err).toBe(0);
      const j = JSON.parse(e.out);
      expect(j.dataset).toBe('Fashion-MNIST');
      expect(j.datasetFrom).toBe('file');
      expect(j.testAccuracy).toBe(fashionAcc);
      const t = run('eval', fashionFile, '--test-limit', '300');
      expect(t.code, t.err).toBe(0);
      expect(t.out).toMatch(/Fashion-MNIST test \(300 samples\)/);
    });

    it('eval --dataset that contradicts the file exits 2 naming both', () => {
      const e = run('eval', fashionFile, '--dataset', 'mnist', '--test-limit', '100');
      expect(e.code).toBe(2);
      expect(e.err).toContain("was trained on fashion-mnist (ecopt.dataset metadata), not --dataset mnist");
      expect(e.out).toBe('');
      const same = run('eval', fashionFile, '--dataset', 'fashion-mnist', '--test-limit', '300', '--json');
      expect(same.code, same.err).toBe(0);
      expect(JSON.parse(same.out).testAccuracy).toBe(fashionAcc);
    });

    it('a file without the metadata: eval says it assumes MNIST (on stderr)', () => {
      const bare = withDatasetMeta(mnistFile, join(dir, 'bare.safetensors'), null);
      const e = run('eval', bare, '--test-limit', '100', '--json');
      expect(e.code, e.err).toBe(0);
      expect(JSON.parse(e.out).dataset).toBe('MNIST');
      expect(e.err).toMatch(/has no 'ecopt\.dataset' metadata; assuming --dataset mnist/);
    });

    it('bad metadata exits 1 naming the key and the field; an unknown preprocessing is refused', () => {
      const notJson = run('eval', withDatasetMeta(mnistFile, join(dir, 'nj.safetensors'), '{name'), '--test-limit', '10');
      expect(notJson.code).toBe(1);
      expect(notJson.err).toMatch(/'ecopt\.dataset' is not valid JSON/);
      const noShape = run('eval', withDatasetMeta(mnistFile, join(dir, 'ns.safetensors'), '{"name":"mnist","classes":10,"preprocessing":"scale-0-1"}'), '--test-limit', '10');
      expect(noShape.code).toBe(1);
      expect(noShape.err).toMatch(/'ecopt\.dataset'.*sampleShape must be/);
      const std = run('eval', withDatasetMeta(mnistFile, join(dir, 'std.safetensors'), '{"name":"mnist","sampleShape":[1,28,28],"classes":10,"preprocessing":"standardize"}'), '--test-limit', '10');
      expect(std.code).toBe(1);
      expect(std.err).toMatch(/preprocessing 'standardize'.*scale-0-1/);
    });

    it('IDX files: the file records them; eval needs them back (--dataset), checked by sample shape', () => {
      const ds = idxDataset('train28', 120, 28);
      const file = join(dir, 'idx.safetensors');
      const t = run('train', '--dataset', ds, '--epochs', '1', '--model', '784-8-10', '--json', '--save', file);
      expect(t.code, t.err).toBe(0);
      expect(datasetMeta(file)).toMatchObject({ name: 'idx', sampleShape: [1, 28, 28], classes: 10, preprocessing: 'scale-0-1' });
      const none = run('eval', file);
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/was trained on IDX files.*--dataset idx:/);
      const ok = run('eval', file, '--dataset', ds, '--json');
      expect(ok.code, ok.err).toBe(0);
      expect(JSON.parse(ok.out).dataset).toBe('IDX');
      const small = run('eval', file, '--dataset', idxDataset('small14', 30, 14));
      expect(small.code).toBe(2);
      expect(small.err).toMatch(/samples of shape \[1, 28, 28\].*\[1, 14, 14\]/);
      // a model trained on MNIST may be evaluated on IDX files of the same shape (e.g. MNIST's own)
      const mOnIdx = run('eval', mnistFile, '--dataset', ds, '--json');
      expect(mOnIdx.code, mOnIdx.err).toBe(0);
    });
  });

  describe('--dataset cifar10 --data-dir DIR (files in CIFAR-10\'s binary format)', () => {
    let cifarDir = '';
    beforeAll(() => {
      cifarDir = join(dir, 'cifar-10-batches-bin');
      mkdirSync(cifarDir);
      for (const [f, b] of Object.entries(cifarFiles())) writeFileSync(join(cifarDir, f), b);
    });

    it('help names the dataset and --data-dir', () => {
      for (const cmd of ['train', 'eval']) {
        const h = run(cmd, '--help').out;
        expect(h).toContain('cifar10');
        expect(h).toMatch(/--data-dir DIR +cifar10: the directory with data_batch_1\.bin/);
        expect(h).toContain('https://www.cs.toronto.edu/~kriz/cifar.html');
      }
    });

    it('train (the CNN by default) saves a model that eval finds the data for with --data-dir', () => {
      const file = join(dir, 'cifar.safetensors');
      const t = run('train', '--dataset', 'cifar10', '--data-dir', cifarDir, '--epochs', '1', '--batch', '4', '--json', '--save', file);
      expect(t.code, t.err).toBe(0);
      const j = JSON.parse(t.out);
      expect(j).toMatchObject({ dataset: 'CIFAR-10', model: 'cnn', trainSamples: 13, testSamples: 5 });
      expect(datasetMeta(file)).toEqual({ name: 'cifar10', sampleShape: [3, 32, 32], classes: 10, preprocessing: 'scale-0-1' });
      const e = run('eval', file, '--data-dir', cifarDir, '--json');
      expect(e.code, e.err).toBe(0);
      expect(JSON.parse(e.out)).toMatchObject({ dataset: 'CIFAR-10', datasetFrom: 'file', testSamples: 5, testAccuracy: j.testAccuracy });
      const none = run('eval', file);
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/was trained on cifar10.*give --data-dir DIR/);
      // --limit and an MLP of 3072 inputs
      const m = run('train', '--dataset', 'cifar10', '--data-dir', cifarDir, '--model', '3072-8-10', '--limit', '4', '--test-limit', '2', '--epochs', '1', '--json');
      expect(m.code, m.err).toBe(0);
      expect(JSON.parse(m.out)).toMatchObject({ trainSamples: 4, testSamples: 2 });
    });

    it.each([
      [['train', '--dataset', 'cifar10'], 2, /--dataset cifar10 needs --data-dir DIR.*cifar\.html/],
      [['train', '--data-dir', 'x', '--limit', '64'], 2, /--data-dir is for --dataset cifar10.*not --dataset mnist/],
      [['train', '--dataset', 'cifar10', '--data-dir', '/no/such/cifar'], 1, /the directory \/no\/such\/cifar does not exist.*binary version/],
      [['train', '--dataset', 'cifar10', '--data-dir', '.', '--model', '784-10'], 1, /data_batch_1\.bin is missing/],
      [['train', '--dataset', 'cifa10'], 2, /did you mean 'cifar10'\?/],
    ])('%j exits %i with a message', (args, code, msg) => {
      const r = run(...(args as string[]));
      expect(r.code).toBe(code);
      expect(r.err).toMatch(msg);
    });
  });

  describe('usability', () => {
    const version = JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')).version;

    it.each(['--version', '-v'])('%s prints the package version (package.json next to dist) and exits 0', (flag) => {
      const r = run(flag);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toBe(`${version}\n`);
    });

    it.each(['train', 'eval', 'bench', 'experiment'])('help %s prints the same text as the command with --help', (cmd) => {
      const h = run('help', cmd);
      expect(h.code, h.err).toBe(0);
      expect(h.out).toBe(run(cmd, '--help').out);
    });

    it('help alone prints the overview (exit 0); help of an unknown command exits 2 with a suggestion', () => {
      const h = run('help');
      expect(h.code).toBe(0);
      expect(h.out).toContain('Usage: ecopt <command>');
      expect(h.out).toContain('--version');
      const u = run('help', 'trian');
      expect(u.code).toBe(2);
      expect(u.err).toContain("unknown command 'trian'; did you mean 'train'?");
    });

    it.each([
      [['trian'], "unknown command 'trian'; did you mean 'train'?"],
      [['evl', 'm.safetensors'], "unknown command 'evl'; did you mean 'eval'?"],
      [['bnech'], "unknown command 'bnech'; did you mean 'bench'?"],
      [['experimnet', 'mnist-mlp'], "unknown command 'experimnet'; did you mean 'experiment'?"],
      [['train', '--epoch', '2'], 'unknown option --epoch; did you mean --epochs?'],
      [['train', '--optimiser', 'sgd'], 'unknown option --optimiser; did you mean --optimizer?'],
      [['train', '--test_limit', '5'], 'unknown option --test_limit; did you mean --test-limit?'],
      [['train', '--jsn'], 'unknown option --jsn; did you mean --json?'],
      [['train', '--thread=2'], 'unknown option --thread; did you mean --threads?'],
      [['bench', '--step', '3'], 'unknown option --step; did you mean --steps?'],
      [['eval', 'm.safetensors', '--datset', 'mnist'], 'unknown option --datset; did you mean --dataset?'],
      [['experiment', 'mnist-mlp', '--seed', '3'], 'unknown option --seed; did you mean --seeds?'],
      [['train', '--optimizer', 'ecsdg'], "--optimizer must be one of sgd, momentum, adam, ecsgd, ecmomentum, ecadam, pathsgd, got 'ecsdg'; did you mean 'ecsgd'?"],
      [['train', '--dataset', 'fashion'], "got 'fashion'; did you mean 'fashion-mnist'?"],
      [['experiment', 'mnist-mpl'], "unknown experiment 'mnist-mpl'; did you mean 'mnist-mlp'?"],
    ])('a typo %j exits 2 with a suggestion', (args, msg) => {
      const r = run(...(args as string[]));
      expect(r.code).toBe(2);
      expect(r.err).toContain(msg);
      expect(r.out).toBe('');
    });

    it.each([
      [['frobnicate'], "unknown command 'frobnicate'"],
      [['train', '--nope', '1'], 'unknown option --nope'],
      [['train', '--optimizer', 'rmsprop'], "got 'rmsprop'"],
    ])('no suggestion when nothing is close: %j', (args, msg) => {
      const r = run(...(args as string[]));
      expect(r.code).toBe(2);
      expect(r.err).toContain(msg);
      expect(r.err).not.toContain('did you mean');
    });

    /** Start columns of the words of a line (runs of non-spaces separated by 2+ spaces count as one cell). */
    const cells = (line: string) => [...line.matchAll(/\S+(?: \S+)*/g)].map((m) => [m.index!, m.index! + m[0].length]);

    it('bench says what each ratio compares, above an aligned table', () => {
      const r = run('bench', '--steps', '1', '--cnn', 'cnn-small');
      expect(r.code, r.err).toBe(0);
      const lines = r.out.split('\n');
      const explain = lines.findIndex((l) => l.includes("EC-SGD / SGD: samples/s of EC-SGD divided by SGD's, same model and batch"));
      const head = lines.findIndex((l) => /^model\s+batch\s+optimizer/.test(l));
      expect(explain, r.out).toBeGreaterThanOrEqual(0);
      expect(head, r.out).toBeGreaterThan(explain);
      const table = lines.slice(head, head + 5);
      expect(table.slice(1).map((l) => l.split(/\s{2,}/)[2])).toEqual(['SGD', 'EC-SGD', 'SGD', 'EC-SGD']);
      // aligned: every row has as many cells as the header and each cell ends (numbers) or starts (text) where the header's does
      const hc = cells(table[0]);
      for (const row of table.slice(1)) {
        const rc = cells(row);
        expect(rc.length, row).toBe(hc.length);
        expect(rc[0][0]).toBe(hc[0][0]);
        for (let c = 1; c < hc.length; c++) expect(rc[c][0] === hc[c][0] || rc[c][1] === hc[c][1], `${row}\n${table[0]}`).toBe(true);
      }
      const ratio = Number(table[2].trim().split(/\s+/).pop());
      expect(ratio).toBeGreaterThan(0);
      const sps = (row: string) => Number(row.split(/\s{2,}/)[6].replace(/,/g, ''));
      expect(ratio).toBeCloseTo(sps(table[2]) / sps(table[1]), 1);
    });

    it('train prints its epoch lines in aligned columns; eval prints the layers as an aligned table', () => {
      const file = join(dir, 'aligned.safetensors');
      const r = run('train', '--limit', '1200', '--epochs', '10', '--batch', '256', '--test-limit', '100', '--model', '784-16-10', '--save', file);
      expect(r.code, r.err).toBe(0);
      const epochs = r.out.split('\n').filter((l) => /^\s*epoch\s/.test(l));
      expect(epochs).toHaveLength(10);
      const at = (l: string, w: string) => l.indexOf(w);
      for (const w of ['loss', 'test accuracy', 'samples/s']) expect(new Set(epochs.map((l) => at(l, w))).size, `${w}:\n${epochs.join('\n')}`).toBe(1);
      const e = run('eval', file, '--test-limit', '100');
      expect(e.code, e.err).toBe(0);
      const lines = e.out.split('\n');
      const head = lines.findIndex((l) => /^\s*#\s+layer\s+output\s+params$/.test(l));
      expect(head, e.out).toBeGreaterThanOrEqual(0);
      const rows = lines.slice(head + 1, head + 4);
      expect(rows.map((l) => l.trim().split(/\s{2,}/).slice(0, 3))).toEqual([['0', 'Dense 784->16', '[16]'], ['1', 'ReLU', '[16]'], ['2', 'Dense 16->10', '[10]']]);
      const end = lines[head].length;
      expect(rows[0].length).toBe(end);
      expect(rows[2].length).toBe(end);
      expect(rows[0]).toMatch(/12,560$/);
    });

    it('the training progress bar is drawn only on a terminal', () => {
      const args = ['train', '--limit', '512', '--test-limit', '64', '--epochs', '1', '--model', '784-8-10'];
      const piped = run(...args);
      expect(piped.code, piped.err).toBe(0);
      expect(piped.out).not.toContain('\r');
      expect(piped.out).not.toMatch(/\[#+\.*\]/);
      expect(piped.out).toMatch(/epoch 1\/1 +loss/);
      let hasScript = true;
      try { execFileSync('script', ['--version'], { stdio: 'ignore' }); } catch { hasScript = false; }
      if (!hasScript) return; // util-linux script gives the child a pseudo-terminal
      const cmd = [process.execPath, cli, ...args].map((a) => `'${a}'`).join(' ');
      const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ECOPT_THREADS: '1' } });
      expect(tty.status, tty.stderr).toBe(0);
      expect(tty.stdout).toContain('\r');
      expect(tty.stdout).toMatch(/\[#+\.*\] \d+\/8 loss/);
    });
  });
});
