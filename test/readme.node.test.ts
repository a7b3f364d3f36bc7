// The README's code is part of the API contract: every ```ts block must type-check against the
// library (fragments get a preamble declaring the `model` and `optimizer` they use), and the Node
// example must run against the built package and print an evaluation.
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';
import { cifarFiles } from './data/cifar-files.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts( fragment)?\n([\s\S]*?)```/g)].map((m) => ({ fragment: !!m[1], code: m[2] }));

const PREAMBLE = `import { Sequential, loadCheckpoint, init, type Optimizer } from 'ecopt';
declare const model: Sequential;
declare const optimizer: Optimizer;
`;

describe('README examples', () => {
  it('has the Node and browser examples and every ts block type-checks', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const files = new Map<string, string>();
    blocks.forEach((b, i) => files.set(join(root, `__readme_${i}.ts`), (b.fragment ? PREAMBLE : '') + b.code + '\nexport {};\n'));
    const options: ts.CompilerOptions = {
      target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler,
      lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: ['node'], strict: true, noEmit: true, skipLibCheck: true,
      baseUrl: root, paths: { ecopt: ['src/index.ts'] },
    };
    const host = ts.createCompilerHost(options);
    const getSource = host.getSourceFile;
    host.getSourceFile = (name, lang, onError) => {
      const text = files.get(name);
      return text !== undefined ? ts.createSourceFile(name, text, lang) : getSource(name, lang, onError);
    };
    host.fileExists = ((orig) => (name: string) => files.has(name) || orig(name))(host.fileExists);
    const program = ts.createProgram([...files.keys()], options, host);
    const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file && files.has(d.file.fileName));
    const text = diags.map((d) => `${d.file!.fileName.split('/').pop()}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(text).toEqual([]);
  });

  it('the Node example runs against the built package', () => {
    const dist = join(root, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    // the Node example: the first complete (non-fragment) ts block, the one under '## Example (Node)'
    const code = blocks.find((b) => !b.fragment)!.code.replace(/from 'ecopt'/g, `from ${JSON.stringify(dist)}`)
      .replace('await loadMNIST()', 'await loadMNIST({ trainLimit: 6000 })');
    const dir = mkdtempSync(join(tmpdir(), 'ecopt-readme-'));
    const file = join(dir, 'example.mjs');
    writeFileSync(file, code);
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out).toMatch(/epoch 1: loss \d/);
    expect(out).toMatch(/epoch 2: loss \d/);
    const acc = Number(/accuracy: ([0-9.]+)/.exec(out)?.[1]);
    expect(acc).toBeGreaterThan(0.85);
  });

  it('the residual-network example runs as written: a functional Model with an identity shortcut trains on MNIST', () => {
    const dist = join(root, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const block = blocks.find((b) => !b.fragment && b.code.includes('new Model('));
    expect(block, 'the README has a complete ts block building a Model').toBeDefined();
    const js = ts.transpileModule(block!.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } })
      .outputText.replace(/from 'ecopt'/g, `from ${JSON.stringify(dist)}`);
    const dir = mkdtempSync(join(tmpdir(), 'ecopt-readme-graph-'));
    writeFileSync(join(dir, 'example.mjs'), js);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out).toMatch(/<- layer1\.0\.conv2, 2/);
    expect(Number(/test accuracy: ([0-9.]+)/.exec(out)?.[1])).toBeGreaterThan(0.8);
    expect(out).toMatch(/conv1\.weight conv1\.bias layer1\.0\.conv1\.weight .* fc\.bias/);
  }, 120_000);

  it('the ResNet example runs as written: resnet() trains on Fashion-MNIST', () => {
    const dist = join(root, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const block = blocks.find((b) => !b.fragment && b.code.includes('resnet({'));
    expect(block, 'the README has a complete ts block using resnet()').toBeDefined();
    const js = ts.transpileModule(block!.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } })
      .outputText.replace(/from 'ecopt'/g, `from ${JSON.stringify(dist)}`);
    const dir = mkdtempSync(join(tmpdir(), 'ecopt-readme-resnet-'));
    writeFileSync(join(dir, 'example.mjs'), js);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(Number(/ResNet-8 test accuracy: ([0-9.]+)/.exec(out)?.[1])).toBeGreaterThan(0.6);
    expect(out).toMatch(/conv1\.weight bn1\.weight bn1\.bias layer1\.0\.conv1\.weight/);
  }, 300_000);

  it('the CIFAR-10 example runs as written on files in the binary format (augment, normalize, bytes)', () => {
    const dist = join(root, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const block = blocks.find((b) => !b.fragment && b.code.includes('loadCIFAR10('));
    expect(block, 'the README has a complete ts block loading CIFAR-10').toBeDefined();
    const js = ts.transpileModule(block!.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } })
      .outputText.replace(/from 'ecopt'/g, `from ${JSON.stringify(dist)}`);
    const dir = mkdtempSync(join(tmpdir(), 'ecopt-readme-cifar-'));
    mkdirSync(join(dir, 'cifar-10-batches-bin'));
    for (const [f, b] of Object.entries(cifarFiles())) writeFileSync(join(dir, 'cifar-10-batches-bin', f), b);
    writeFileSync(join(dir, 'example.mjs'), js);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    expect(out).toMatch(/\{ loss: \d[\d.e-]*, accuracy: [\d.]+ \}/);
    expect(out).toMatch(/^(airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck) for a (airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)$/m);
  }, 120_000);

  it('the own-data example (a CSV file) runs as written: trains, saves, reloads and predicts', () => {
    const dist = join(root, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const block = blocks.find((b) => b.code.includes("readFileSync('data.csv'"));
    expect(block, 'the README has a ts block reading data.csv').toBeDefined();
    const js = ts.transpileModule(block!.code, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } })
      .outputText.replace(/from 'ecopt'/g, `from ${JSON.stringify(dist)}`);
    // three classes around iris-like centres, four features, 300 rows (integer PRNG: the same file everywhere)
    let s = 7;
    const u = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
    const lines = ['sepal_length,sepal_width,petal_length,petal_width,species'];
    for (let i = 0; i < 300; i++) {
      const c = i % 3;
      const x = [5 + 0.9 * c + 0.8 * u(), 3.4 - 0.4 * c + 0.6 * u(), 1.5 + 2.4 * c + 0.8 * u(), 0.2 + 0.9 * c + 0.4 * u()];
      lines.push(`${x.map((v) => v.toFixed(2)).join(',')},${c}`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'ecopt-readme-csv-'));
    writeFileSync(join(dir, 'data.csv'), lines.join('\n') + '\n');
    writeFileSync(join(dir, 'example.mjs'), js);
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    const acc = Number(/validation .*accuracy: ([0-9.]+)/s.exec(out)?.[1]);
    expect(acc).toBeGreaterThan(0.9);
    expect(existsSync(join(dir, 'model.safetensors'))).toBe(true);
    // [5.1, 3.5, 1.4, 0.2] lies at the centre of class 0
    expect(out).toMatch(/class 0, probabilities (0\.\d{3}|1\.000) \d\.\d{3} \d\.\d{3}/);
  });
});
