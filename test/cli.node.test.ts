// The `ecopt` command line (runs the built dist/cli.js, as `npm test` builds first): --help for
// every command exits 0, bad usage exits 2 with a message, a tiny training run prints valid JSON,
// and a model saved with --save evaluates with `ecopt eval` to the same accuracy.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
let dir = '';

function run(...args: string[]) {
  // one kernel thread: the tests stay light on shared machines (threads are tested elsewhere)
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ECOPT_THREADS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  dir = mkdtempSync(join(tmpdir(), 'ecopt-cli-'));
});
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

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
});
