// Generates src/core/abi.gen.ts, the TypeScript side of the wasm ABI, from its one source: the
// AssemblyScript code. It compiles assembly/index.ts in memory (the release target's settings,
// unoptimised: optimisation changes no export; nothing is written to build/, so a fresh clone
// needs no prior build) with `--bindings raw`, then reads
//   - the emitted .d.ts: every exported function with its parameter names and AS types
//     (`@param x \`usize\``), and every exported enum with its members;
//   - the module itself: the value of each enum member (exported as a global `Enum.Member`), and
//     its export list and function arities, which must agree with the .d.ts;
//   - each kernel's doc comment in its source file (assembly/<file>.ts), copied beside it.
// It writes the `Kernels` interface, the enums as `as const` objects (with a type of their values),
// KERNEL_NAMES, KERNEL_PARAMS and KERNEL_POINTER_ARGS (the positions of the `usize` parameters:
// pointers, which checked mode looks up in the arena, src/core/checked.ts), ABI_ENUMS and ABI_GLOBALS.
//
//   node scripts/gen-abi.mjs           rewrite src/core/abi.gen.ts
//   node scripts/gen-abi.mjs --check   regenerate in memory; exit 1 with a diff when the file differs
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = 'src/core/abi.gen.ts';

/** AS type → TypeScript type of a raw export's parameter / result (raw: no glue, bool is an i32). */
const NUMBER = new Set(['i8', 'u8', 'i16', 'u16', 'i32', 'u32', 'f32', 'f64', 'usize', 'isize']);
function tsType(asType, isResult) {
  if (NUMBER.has(asType)) return 'number';
  if (asType === 'bool') return isResult ? 'number' : 'number | boolean';
  if (asType === 'i64' || asType === 'u64') return 'bigint';
  if (asType === 'void') return 'void';
  throw new Error(`gen-abi: the AS type ${asType} cannot cross the raw ABI (kernels take and return numbers only)`);
}

/** Compiles assembly/index.ts in memory: { wasm, dts }. */
async function compile() {
  const { default: asc } = await import('assemblyscript/asc');
  const files = {};
  const cwd = process.cwd();
  process.chdir(root); // asc resolves asconfig.json and the entry against the working directory
  let result;
  try {
    result = await asc.main([
      'assembly/index.ts', '--config', 'asconfig.json', '--target', 'release',
      '--optimizeLevel', '0', '--shrinkLevel', '0', '--outFile', 'abi.wasm', '--bindings', 'raw',
    ], {
      writeFile(name, contents) { files[name] = contents; },
      stdout: { write() { return true; } },
    });
  } finally {
    process.chdir(cwd);
  }
  if (result.error) throw new Error(`gen-abi: asc failed: ${result.error.message}\n${result.stderr.toString()}`);
  const wasm = files['abi.wasm'];
  const dts = files['abi.d.ts'];
  if (!wasm || typeof dts !== 'string') throw new Error('gen-abi: asc wrote no abi.wasm / abi.d.ts');
  return { wasm, dts: dts.replace(/\r\n/g, '\n') };
}

/** Functions and enums of the .d.ts that `--bindings raw` emits, in export order. */
function parseDts(dts) {
  const functions = [];
  const enums = [];
  const consts = [];
  const block = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\n\s*export (function|enum|const) (\w+)([^\n]*)\n/g;
  let m;
  while ((m = block.exec(dts))) {
    const [, doc, kind, name, rest] = m;
    if (kind === 'const') { consts.push(name); continue; }
    const where = /^\s*\*?\s*(\S+)\/\w+\s*$/m.exec(doc)?.[1] ?? '';
    if (kind === 'enum') {
      const end = dts.indexOf('\n  }', block.lastIndex);
      const body = dts.slice(block.lastIndex, end);
      block.lastIndex = end;
      const members = [...body.matchAll(/\/\*\* @type `(\w+)` \*\/\n\s*(\w+),/g)].map((x) => ({ name: x[2], type: x[1] }));
      enums.push({ name, where, members });
      continue;
    }
    const types = [...doc.matchAll(/@param (\w+) `([\w<>]+)`/g)].map((x) => ({ name: x[1], type: x[2] }));
    const returns = /@returns `(\w+)`/.exec(doc)?.[1] ?? 'void';
    const sig = /^\((.*)\): [^;]+;$/.exec(rest);
    if (!sig) throw new Error(`gen-abi: cannot read the signature of ${name}: ${rest}`);
    const names = sig[1] ? sig[1].split(', ').map((p) => p.split(':')[0]) : [];
    if (names.some((p) => p.endsWith('?'))) throw new Error(`gen-abi: ${name} has an optional parameter; raw kernels take every argument`);
    if (names.length !== types.length || names.some((p, i) => p !== types[i].name)) {
      throw new Error(`gen-abi: the parameters of ${name} in the .d.ts disagree with its @param types`);
    }
    functions.push({ name, where, params: types, returns });
  }
  return { functions, enums, consts };
}

/** The doc comment right above `export function name(` in assembly/<file>.ts, as lines of text. */
function sourceDoc(file, name) {
  let text;
  try { text = readFileSync(join(root, `${file}.ts`), 'utf8'); } catch { return []; }
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const at = lines.findIndex((l) => new RegExp(`^export function ${name}\\s*\\(`).test(l));
  if (at < 0) return [];
  const out = [];
  let i = at - 1;
  if (/\*\/\s*$/.test(lines[i] ?? '')) {
    for (; i >= 0; i--) {
      out.unshift(lines[i]);
      if (/^\s*\/\*\*/.test(lines[i])) break;
    }
    return out.map((l) => l.replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/\s*$/, '').replace(/^\s*\*\s?/, '')).filter((l) => l.trim() !== '');
  }
  for (; i >= 0 && /^\s*\/\/(?!\s*@ts-)/.test(lines[i]); i--) out.unshift(lines[i].replace(/^\s*\/\/\s?/, ''));
  return out;
}

/** Doc comment of `export enum name` (and of its members) in assembly/abi.ts. */
function enumDocs() {
  const text = readFileSync(join(root, 'assembly/abi.ts'), 'utf8').replace(/\r\n/g, '\n');
  const docs = new Map();
  for (const m of text.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\nexport enum (\w+)/g)) {
    docs.set(m[2], m[1].split('\n').map((l) => l.replace(/^\s*\*\s?/, '').trim()).filter(Boolean).join(' '));
  }
  for (const m of text.matchAll(/export enum (\w+) \{([\s\S]*?)\n\}/g)) {
    for (const x of m[2].matchAll(/\/\*\*\s*((?:(?!\*\/)[\s\S])*?)\s*\*\/\n\s*(\w+) =/g)) docs.set(`${m[1]}.${x[2]}`, x[1].replace(/\s*\n\s*\*?\s*/g, ' '));
  }
  return docs;
}

/** Reads the module: its export list, function arities and enum global values. */
async function inspect(wasm) {
  const module = await WebAssembly.compile(wasm);
  const imports = {};
  for (const i of WebAssembly.Module.imports(module)) {
    imports[i.module] ??= {};
    if (i.kind === 'function') imports[i.module][i.name] = () => {};
    else if (i.kind === 'memory') imports[i.module][i.name] = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
    else throw new Error(`gen-abi: unexpected import ${i.module}.${i.name} (${i.kind})`);
  }
  const instance = await WebAssembly.instantiate(module, imports);
  return { exports: WebAssembly.Module.exports(module), values: instance.exports };
}

/** `text` (or a list of unbreakable pieces) as lines of at most `width` characters, each starting with `indent`. */
const wrap = (text, indent, width = 110) => {
  const out = [];
  let line = '';
  for (const word of Array.isArray(text) ? text : text.split(/\s+/).filter(Boolean)) {
    if (line && indent.length + line.length + 1 + word.length > width) { out.push(indent + line); line = word; } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(indent + line);
  return out;
};

/** The text of src/core/abi.gen.ts. */
export async function generate() {
  const { wasm, dts } = await compile();
  const { functions, enums, consts } = parseDts(dts);
  const { exports, values } = await inspect(wasm);
  // the .d.ts and the module must describe the same exports
  const fnExports = exports.filter((e) => e.kind === 'function').map((e) => e.name);
  const want = functions.map((f) => f.name);
  if (fnExports.join() !== want.join()) throw new Error(`gen-abi: the module exports functions [${fnExports}] but the .d.ts lists [${want}]`);
  for (const f of functions) {
    if (values[f.name].length !== f.params.length) throw new Error(`gen-abi: ${f.name} takes ${values[f.name].length} arguments in the module, ${f.params.length} in the .d.ts`);
  }
  const enumGlobals = enums.flatMap((e) => e.members.map((x) => `${e.name}.${x.name}`));
  const globals = exports.filter((e) => e.kind === 'global').map((e) => e.name);
  if (globals.join() !== enumGlobals.join()) throw new Error(`gen-abi: the module exports globals [${globals}], expected the enum members [${enumGlobals}]`);
  const others = exports.filter((e) => e.kind !== 'function' && e.kind !== 'global').map((e) => e.name);
  if (others.join() !== 'memory' || consts.join() !== 'memory') throw new Error(`gen-abi: unexpected exports [${others}] / consts [${consts}] besides memory`);

  const docs = enumDocs();
  const L = [];
  L.push('// GENERATED by scripts/gen-abi.mjs (npm run gen:abi) from assembly/index.ts and assembly/abi.ts: do not edit.');
  L.push('// The TypeScript side of the wasm ABI: the kernels the module exports with their parameters, the');
  L.push('// enums and block slots the kernels use (values read from the module), and the pointer');
  L.push('// arguments checked mode looks up. `npm test` fails (gen:abi --check) when this file is stale.');
  L.push('');
  for (const e of enums) {
    const doc = docs.get(e.name);
    L.push('/**');
    for (const l of wrap(`${doc ?? e.name} (${e.where}.ts)`, ' * ')) L.push(l);
    L.push(' */');
    L.push(`export const ${e.name} = {`);
    for (const x of e.members) {
      const g = values[`${e.name}.${x.name}`];
      const v = g instanceof WebAssembly.Global ? g.value : undefined;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`gen-abi: ${e.name}.${x.name} is not an integer global`);
      const d = docs.get(`${e.name}.${x.name}`);
      if (d) L.push(`  /** ${d} */`);
      L.push(`  ${x.name}: ${v},`);
    }
    L.push('} as const;');
    L.push(`/** A value of ${e.name}. */`);
    L.push(`export type ${e.name} = (typeof ${e.name})[keyof typeof ${e.name}];`);
    L.push('');
  }
  L.push('/** Every kernel the wasm module exports, by name. Pointers (AS `usize`) are byte offsets into linear memory. */');
  L.push('export interface Kernels {');
  L.push('  memory: WebAssembly.Memory;');
  let file = '';
  for (const f of functions) {
    if (f.where !== file) { file = f.where; L.push(`  // ${file}.ts`); }
    const doc = sourceDoc(f.where, f.name);
    const pieces = f.params.map((p, i) => `${i === 0 ? '(' : ''}${p.name}: ${p.type}${i === f.params.length - 1 ? ')' : ','}`);
    const sig = ['AS:', ...(pieces.length ? pieces : ['()']), '=>', f.returns];
    L.push('  /**');
    for (const l of doc) L.push(`   *${l ? ` ${l}` : ''}`);
    for (const l of wrap(sig, '   * ')) L.push(l);
    L.push('   */');
    const params = f.params.map((p) => `${p.name}: ${tsType(p.type, false)}`);
    const line = `  ${f.name}(${params.join(', ')}): ${tsType(f.returns, true)};`;
    if (line.length <= 110) L.push(line);
    else { L.push(`  ${f.name}(`); for (const l of wrap(params.map((p) => `${p},`), '    ')) L.push(l); L.push(`  ): ${tsType(f.returns, true)};`); }
  }
  L.push('}');
  L.push('');
  L.push('/** A kernel name. */');
  L.push('export type KernelName = Exclude<keyof Kernels, \'memory\'>;');
  L.push('');
  L.push('/** Every exported function, in export order (the module exports these, memory and the enum members as globals). */');
  L.push('export const KERNEL_NAMES: readonly KernelName[] = [');
  for (const l of wrap(functions.map((f) => `'${f.name}',`), '  ')) L.push(l);
  L.push('];');
  L.push('');
  L.push('/** Each kernel\'s parameters as `name: AS type`, in order (the arity is the length). */');
  L.push('export const KERNEL_PARAMS: Readonly<Record<KernelName, readonly string[]>> = {');
  for (const f of functions) {
    const items = f.params.map((p) => `'${p.name}: ${p.type}'`);
    const one = `  ${f.name}: [${items.join(', ')}],`;
    if (one.length <= 110) L.push(one);
    else { L.push(`  ${f.name}: [`); for (const l of wrap(items.map((x) => `${x},`), '    ')) L.push(l); L.push('  ],'); }
  }
  L.push('};');
  L.push('');
  L.push('/** For each kernel, the positions of its pointer (`usize`) arguments. */');
  L.push('export const KERNEL_POINTER_ARGS: Readonly<Record<KernelName, readonly number[]>> = {');
  for (const f of functions) L.push(`  ${f.name}: [${f.params.flatMap((p, i) => (p.type === 'usize' ? [i] : [])).join(', ')}],`);
  L.push('};');
  L.push('');
  L.push('/** Every enum of the ABI, by name. */');
  L.push(`export const ABI_ENUMS = { ${enums.map((e) => e.name).join(', ')} } as const;`);
  L.push('');
  L.push('/** The enum members the module exports as globals (`Enum.Member`), with their values. */');
  L.push('export const ABI_GLOBALS: Readonly<Record<string, number>> = {');
  for (const e of enums) for (const x of e.members) L.push(`  '${e.name}.${x.name}': ${e.name}.${x.name},`);
  L.push('};');
  return L.join('\n') + '\n';
}

/** A readable line diff of `a` (the file) and `b` (generated): changed lines with 2 lines of context, numbered as in `a`. */
function diff(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  const n = x.length, m = y.length;
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  const ops = [];
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) { ops.push([' ', x[i], i + 1]); i++; j++; }
    else if (j < m && (i === n || lcs[i][j + 1] > lcs[i + 1][j])) { ops.push(['+', y[j], i + 1]); j++; }
    else { ops.push(['-', x[i], i + 1]); i++; }
  }
  const keep = ops.map((o, k) => ops.slice(Math.max(0, k - 2), k + 3).some((p) => p[0] !== ' '));
  const out = [];
  ops.forEach((o, k) => {
    if (keep[k]) out.push(`${o[0]} ${(o[0] === '+' ? '' : String(o[2])).padStart(4)} | ${o[1]}`);
    else if (keep[k - 1]) out.push('  ...');
  });
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await generate();
  const path = join(root, OUT);
  if (process.argv.includes('--check')) {
    let have = '';
    try { have = readFileSync(path, 'utf8'); } catch { /* missing */ }
    if (have !== text) {
      console.error(`${OUT} is out of date with assembly/ (- the file, + what gen-abi makes now):\n${diff(have, text)}\n` +
        `Run \`npm run gen:abi\` and commit ${OUT}.`);
      process.exit(1);
    }
    console.log(`${OUT} is up to date`);
  } else {
    writeFileSync(path, text);
    console.log(`wrote ${OUT}`);
  }
}
