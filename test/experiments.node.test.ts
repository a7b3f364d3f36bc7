// Every reproduction experiment in a tiny configuration (1 seed, 1 epoch, a few hundred samples,
// one-point grids where possible, temp output dir): keeps apps/experiments/ working end to end
// and checks the outputs it writes (results.json, table.md, SVG plots).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init } from '../src/index.js';
import { runExperiment, EXPERIMENTS } from '../apps/experiments/run.js';
import { mean, std } from '../apps/experiments/stats.js';
import { loadFashionMNIST } from '../src/data/fashion.js';
import { lineChart } from '../apps/experiments/svgplot.js';

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
  it('lists the five experiments', () => {
    expect(Object.keys(EXPERIMENTS).sort()).toEqual(['fashion-width', 'mnist-cnn', 'mnist-mlp', 'overhead', 'unbalanced-init']);
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

  it('fashion-width: the gap per width', async () => {
    await runExperiment('fashion-width', { ...tiny, gridEpochs: 0, widths: [16, 32], out: join(dir, 'fashion-width') });
    const { json, files } = outputs('fashion-width');
    expect(files).toContain('gap-vs-width.svg');
    expect(json.gap.widths).toEqual([16, 32]);
    expect(json.runs).toHaveLength(4);
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
