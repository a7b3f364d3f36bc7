// Every reproduction experiment in a tiny configuration (1 seed, 1 epoch, a few hundred samples,
// one-point grids where possible, temp output dir): keeps apps/experiments/ working end to end
// and checks the outputs it writes (results.json, table.md, SVG plots).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, Sequential } from '../src/index.js';
import { runExperiment, EXPERIMENTS } from '../apps/experiments/run.js';
import { mean, std } from '../apps/experiments/stats.js';
import { loadFashionMNIST } from '../src/data/fashion.js';
import { lineChart } from '../apps/experiments/svgplot.js';
import { verifyResults, defaultVerifySet } from '../apps/experiments/verify.js';
import { torchUniformWeights } from '../apps/experiments/starts.js';
import { buildMLP } from '../apps/experiments/models.js';
import { renderResultsMd } from '../apps/experiments/results-md.js';
import { sqrtInt } from '../apps/experiments/rng.js';

let dir = '';
const quiet = () => {};
const tiny = { seeds: 1, epochs: 1, limit: 256, testLimit: 256, gridEpochs: 1, log: quiet };

beforeAll(async () => {
  await init();
  dir = mkdtempSync(join(tmpdir(), 'ecopt-exp-'));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

function outputs(name: string) {
  const files = readdirSync(join(dir, name));
  const json = JSON.parse(readFileSync(join(dir, name, 'results.json'), 'utf8'));
  const svgs = files.filter((f) => f.endsWith('.svg')).map((f) => readFileSync(join(dir, name, f), 'utf8'));
  for (const s of svgs) {
    expect(s.startsWith('<svg')).toBe(true);
    expect(s.trim().endsWith('</svg>')).toBe(true);
    expect(s).not.toContain('NaN');
  }
  expect(files).toContain('table.md');
  return { files, json, svgs };
}

describe('experiments (tiny configurations)', () => {
  it('lists the seven experiments', () => {
    expect(Object.keys(EXPERIMENTS).sort()).toEqual(['fashion-width', 'mnist-authors', 'mnist-cnn', 'mnist-mlp', 'overhead', 'resnet-study', 'unbalanced-init']);
  });

  it('resnet-study: PlainNet and ResNet with SGD and both EC modes, paired gaps, resumable, replayable', async () => {
    const out = join(dir, 'resnet-study');
    const o = { ...tiny, limit: 128, testLimit: 128, depths: [8], out };
    await runExperiment('resnet-study', o);
    const { json, svgs } = outputs('resnet-study');
    expect(svgs).toHaveLength(2);
    const ids = json.runs.map((r: { id: string }) => r.id);
    expect(ids).toEqual(['plainnet8', 'resnet8'].flatMap((n) => ['sgd', 'ecsgd-graph', 'ecsgd-blocks'].map((a) => `resnet-study/${n}/${a}/s0`)));
    for (const r of json.runs) {
      expect(r.diverged).toBe(false);
      expect(r.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // the three arms of a network start from the same network and end in three different ones
    for (const n of ['plainnet8', 'resnet8']) {
      const rs = json.runs.filter((r: { id: string }) => r.id.includes(`/${n}/`));
      expect(new Set(rs.map((r: { weightsSha256: string }) => r.weightsSha256)).size).toBe(3);
    }
    expect(json.gapTable).toContain('EC-SGD (per block) - SGD');
    // resumable: a second call trains nothing
    const lines: string[] = [];
    const again = await runExperiment('resnet-study', { ...o, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes('epoch 1/1'))).toBe(false);
    expect(again.table).toBe(json.table);
    // and every run replays from its recipe to the same bits
    const rows = await verifyResults([{ file: 'results.json', id: ids[1] }, { file: 'results.json', id: ids[5] }], { dir: out });
    expect(rows.map((r) => r.ok)).toEqual([true, true]);
    // shard 1/2 trains runs 1, 3, 5 of the plan, with the same bits as the unsharded study
    const sharded = await runExperiment('resnet-study', { ...o, out: join(dir, 'resnet-study-shard'), shard: [1, 2] });
    const shardRuns = sharded.data.runs as { id: string; weightsSha256: string }[];
    expect(shardRuns.map((r) => r.id)).toEqual([ids[1], ids[3], ids[5]]);
    expect(shardRuns.map((r) => r.weightsSha256)).toEqual([1, 3, 5].map((i) => json.runs[i].weightsSha256));
  });

  it('mnist-authors: the arms, the schedule from t = 1, equal starts, hashes, resumable', async () => {
    const out = join(dir, 'mnist-authors');
    const o = { ...tiny, epochs: 2, optimizers: ['sgd', 'ecsgd', 'sgd@he+unit', 'sgd@torch'], out };
    await runExperiment('mnist-authors', o);
    const { json, svgs } = outputs('mnist-authors');
    expect(svgs).toHaveLength(3);
    expect(json.commit).toMatch(/^([0-9a-f]{40}(-dirty)?|unknown)$/);
    expect(json.build.wasmSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(json.dataset.ranges.train).toMatchObject({ split: 'train', from: 0, to: 256, count: 256 });
    expect(json.runs.map((r: { id: string }) => r.id)).toEqual(['mnist-authors/sgd/s0', 'mnist-authors/ecsgd/s0', 'mnist-authors/sgd@he+unit/s0', 'mnist-authors/sgd@torch/s0']);
    for (const r of json.runs) {
      expect(r.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(r.epochs[1].weightsSha256).toBe(r.weightsSha256);
      // lr_t = 0.1 exp(-0.01 t), t = epoch from 1 (exponentialDecay computes it in wasm)
      expect(r.epochs[0].lr).toBeCloseTo(0.1 * Math.exp(-0.01), 12);
      expect(r.epochs[1].lr).toBeCloseTo(0.1 * Math.exp(-0.02), 12);
    }
    const by = (id: string) => json.runs.find((r: { id: string }) => r.id === id);
    // SGD from EC-SGD's start starts from exactly EC-SGD's network; the other starts differ
    expect(by('mnist-authors/sgd@he+unit/s0').initialWeightsSha256).toBe(by('mnist-authors/ecsgd/s0').initialWeightsSha256);
    expect(by('mnist-authors/sgd/s0').initialWeightsSha256).not.toBe(by('mnist-authors/ecsgd/s0').initialWeightsSha256);
    expect(json.startChecks['ecsgd vs sgd@he+unit']).toBe('s0 same');
    expect(readFileSync(join(out, 'runs.jsonl'), 'utf8').trim().split('\n')).toHaveLength(4);
    // a second call trains nothing and reports the same runs
    const lines: string[] = [];
    const again = await runExperiment('mnist-authors', { ...o, log: (l) => lines.push(l) });
    expect(lines.some((l) => l.includes('epoch 1/2'))).toBe(false);
    expect(again.table).toBe(json.table);
  });

  it('results:verify replays recorded runs (whole and first epochs) and catches a changed hash', async () => {
    const out = join(dir, 'verify');
    await runExperiment('unbalanced-init', { ...tiny, epochs: 2, cs: [2], optimizers: ['sgd', 'ecsgd'], out });
    const items = [
      { file: 'results.json', data: true as const },
      { file: 'results.json', id: 'unbalanced-init/c2/ecsgd/s0' },
      { file: 'results.json', id: 'unbalanced-init/c2/sgd/s0', epochs: 1 },
    ];
    const rows = await verifyResults(items, { dir: out });
    // data: the train, eval and probe ranges; then the two runs
    expect(rows.map((r) => r.ok)).toEqual([true, true, true, true, true]);
    expect(rows[3].row).toContain('all 2 epochs');
    expect(rows[4].row).toContain('first 1 of 2 epochs');
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    json.runs[1].weightsSha256 = '0'.repeat(64);
    mkdirSync(join(out, 'bad'));
    writeFileSync(join(out, 'bad', 'results.json'), JSON.stringify(json));
    const bad = await verifyResults([items[1]], { dir: join(out, 'bad') });
    expect(bad[0].ok).toBe(false);
    expect(bad[0].expected).toMatch(/^0{16}/);
  });

  it('results:verify: the default set covers every results table and optimizer', () => {
    const set = defaultVerifySet();
    const files = readdirSync('docs/results').filter((f) => f.endsWith('.json'));
    const withHashes = files.filter((f) => 'commit' in JSON.parse(readFileSync(join('docs/results', f), 'utf8')));
    expect(new Set(set.map((i) => i.file))).toEqual(new Set(withHashes));
    const ids = set.flatMap((i) => ('id' in i ? [i.id] : []));
    for (const o of ['sgd', 'ecsgd', 'ecsgd-preserve', 'pathsgd', 'momentum', 'ecmomentum', 'adam', 'ecadam', 'sgd@torch', 'sgd@he+unit', 'ecsgd@torch', 'sgd@torch+unit', 'ecsgd-graph', 'ecsgd-blocks']) {
      expect(ids.some((id) => id.split('/').includes(o))).toBe(true);
    }
  });

  it('the first epoch of a docs/results.md row comes out bit for bit at this checkout', async () => {
    const rows = await verifyResults([{ file: 'mnist-authors.json', id: 'mnist-authors/ecsgd/s0', epochs: 1 }], { dir: 'docs/results' });
    expect(rows[0].ok).toBe(true);
  });

  it('docs/results.md is the template filled from docs/results/*.json (npm run results:md)', () => {
    expect(renderResultsMd(readFileSync('docs/results.template.md', 'utf8'), 'docs/results')).toBe(readFileSync('docs/results.md', 'utf8'));
  });

  it('torch init: U(+-1/sqrt(fan_in)) from integer draws, seeded', () => {
    expect(sqrtInt(784)).toBe(28);
    expect(Math.abs(sqrtInt(2) - Math.SQRT2)).toBeLessThanOrEqual(2.3e-16); // within an ulp: Newton steps in float64, a fixed sequence
    const m = new Sequential(buildMLP([784, 32, 10], false), { seed: 0 });
    try {
      const a = torchUniformWeights(m, 5), b = torchUniformWeights(m, 5), c = torchUniformWeights(m, 6);
      expect(a.map((w) => w.length)).toEqual([784 * 32, 32 * 10]);
      expect(a[0]).toEqual(b[0]);
      expect(a[0]).not.toEqual(c[0]);
      [784, 32].forEach((fanIn, i) => {
        const bound = 1 / Math.sqrt(fanIn);
        let mx = 0, s2 = 0;
        for (const v of a[i]) { mx = Math.max(mx, Math.abs(v)); s2 += v * v; }
        expect(mx).toBeLessThanOrEqual(bound);
        expect(mx).toBeGreaterThan(0.95 * bound);
        expect((s2 / a[i].length) * 3 * fanIn).toBeCloseTo(1, 1);
      });
    } finally {
      m.dispose();
    }
  });

  it('mnist-mlp: grid on the validation split, one run per optimizer, curves', async () => {
    const r = await runExperiment('mnist-mlp', { ...tiny, optimizers: ['sgd', 'ecsgd', 'ecsgd-preserve', 'pathsgd'], out: join(dir, 'mnist-mlp') });
    const { json, svgs } = outputs('mnist-mlp');
    expect(svgs).toHaveLength(2);
    expect(json.config.lrGrid.sgd.length).toBeGreaterThan(1);
    expect(json.grids).toHaveLength(4);
    expect(json.runs).toHaveLength(4);
    for (const run of json.runs) {
      expect(run.epochs).toHaveLength(1);
      expect(run.finalTestAccuracy).toBeGreaterThanOrEqual(0);
    }
    expect(r.table).toContain('EC-SGD (preserve)');
  });

  it('unbalanced-init: rescaling keeps the function and EC-SGD is equivariant (flat in c)', async () => {
    await runExperiment('unbalanced-init', { ...tiny, cs: [1, 100], out: join(dir, 'unbalanced-init') });
    const { json } = outputs('unbalanced-init');
    const runs = json.runs as { c: number; optimizer: string; finalTestAccuracy: number; finalTestLoss: number; maxLogitChange: number }[];
    expect(runs).toHaveLength(6);
    for (const r of runs) expect(r.maxLogitChange).toBeLessThan(1e-4);
    const ec = runs.filter((r) => r.optimizer === 'ecsgd');
    expect(Math.abs(ec[0].finalTestLoss - ec[1].finalTestLoss)).toBeLessThan(1e-3 * Math.max(1, ec[0].finalTestLoss));
  });

  it('mnist-cnn (cnn-small)', async () => {
    await runExperiment('mnist-cnn', { ...tiny, limit: 128, testLimit: 128, gridEpochs: 0, optimizers: ['sgd', 'ecsgd'], out: join(dir, 'mnist-cnn') });
    const { json } = outputs('mnist-cnn');
    expect(json.runs).toHaveLength(2);
    expect(json.config.model).toBe('cnn-small');
  });

  it('fashion-width: the gap per width, and the init controls that split it', async () => {
    const r = await runExperiment('fashion-width', { ...tiny, gridEpochs: 0, widths: [16, 32], out: join(dir, 'fashion-width') });
    const { json, files } = outputs('fashion-width');
    expect(files).toContain('gap-vs-width.svg');
    expect(json.gap.widths).toEqual([16, 32]);
    expect(json.runs).toHaveLength(8); // sgd, ecsgd, sgd@torch, sgd@he+unit at 2 widths
    expect(r.table).toContain("optimizer part: EC-SGD - SGD (EC-SGD's start)");
    const start = (id: string) => json.runs.find((x: { id: string }) => x.id === id).initialWeightsSha256;
    expect(start('fashion-width/w32/sgd@he+unit/s0')).toBe(start('fashion-width/w32/ecsgd/s0'));
  });

  it('overhead: a few timed steps, ratios to SGD', async () => {
    await runExperiment('overhead', { steps: 2, cnn: 'cnn-small', optimizers: ['sgd', 'ecsgd', 'pathsgd'], log: quiet, out: join(dir, 'overhead') });
    const { json } = outputs('overhead');
    expect(json.timings).toHaveLength(6);
    for (const t of json.timings) {
      expect(t.medianMs).toBeGreaterThan(0);
      if (t.optimizer === 'sgd') expect(t.ratioToSGD).toBe(1);
    }
  });

  it('Fashion-MNIST loader: 70k images, a seeded 60k/10k split, [0,1] pixels', async () => {
    const a = await loadFashionMNIST({ trainLimit: 100, testLimit: 100 });
    const b = await loadFashionMNIST({ trainLimit: 100, testLimit: 100 });
    expect(a.total).toBe(70000);
    expect(a.train.shape).toEqual([1, 28, 28]);
    expect(a.train.count).toBe(100);
    expect(Array.from(a.train.labels)).toEqual(Array.from(b.train.labels));
    expect(Math.max(...a.train.images)).toBeLessThanOrEqual(1);
    expect(Math.min(...a.train.images)).toBeGreaterThanOrEqual(0);
    expect(new Set(a.train.labels).size).toBeGreaterThan(5);
  });

  it('helpers: mean/std and the SVG chart', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(std([1, 2, 3])).toBe(1);
    expect(std([5])).toBe(0);
    const svg = lineChart({ title: 'a<b', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [1, 10, 100], y: [1, 2, 3], err: [0.1, 0.1, 0.1] }], logX: true, hline: 0 });
    expect(svg).toContain('a&lt;b');
    expect(svg).toContain('<polyline');
  });
});
