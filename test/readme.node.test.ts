// The README's code is part of the API contract: every ```ts block must type-check against the
// library (fragments get a preamble declaring the `model` and `optimizer` they use), and the Node
// example must run against the built package and print an evaluation.
import { describe, it, expect } from 'vitest';
import { readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```ts( fragment)?\n([\s\S]*?)```/g)].map((m) => ({ fragment: !!m[1], code: m[2] }));

const PREAMBLE = `import { Sequential, loadCheckpoint, type Optimizer } from 'ecopt';
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
    const code = blocks[0].code.replace(/from 'ecopt'/g, `from ${JSON.stringify(dist)}`)
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
});
