// The layering gate of the source tree (docs: architecture.md, "Target layout" and "Floors"), run by
// `npm run check:layers` and first thing in `npm test`. It fails (exit 1, one message per problem) on
//   (a) an import cycle among src/**/*.ts: every import counts, `import type` and inline
//       `import('...')` types included, because a cycle of types is still a tangle of concepts;
//   (b) a library file under src/ over MAX_LINES lines;
//   (c) a file under apps/ importing anything but 'ecopt', node: builtins and files under apps/;
//   (d) a value import that goes up the floors of FLOORS (a lower floor may take only types from a
//       higher one).
// The library is mid-migration, so today's exceptions are listed below (KNOWN_*): they print as
// warnings and may only shrink; a new cycle, a new oversize file, a file that grows past its ceiling or
// a new upward value import fails. Remove an entry when its problem is gone (the script says so).
//
//   node scripts/check-layers.mjs [--root DIR]    DIR: the tree to check (default: this repository)
import ts from 'typescript';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 400;

/**
 * Today's known exceptions (mid-migration), as data in scripts/check-layers.known.json of the checked
 * tree (absent: none): `oversize` {file: line ceiling}, `cycles` [[files]], `upward` ["a -> b"]. They
 * print as warnings and may only shrink; the script says when an entry can go. Generated files (a
 * first line starting with "// GENERATED") are exempt from the line budget.
 */
function readKnown(root) {
  const file = join(root, 'scripts', 'check-layers.known.json');
  const k = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  return { oversize: k.oversize ?? {}, cycles: k.cycles ?? [], upward: k.upward ?? [] };
}

/**
 * The floors of architecture.md, lowest first, as path patterns relative to src/ ('*' = any name in
 * that folder). A file imports values only from its own floor or lower ones; from higher floors it
 * takes only types. Floors of target files that do not exist yet are kept so the order reads as in the
 * document. optim/registry.ts (the one factory) needs the EC optimizers, so it sits right above them;
 * data/ (datasets) needs only core. A file no pattern matches is reported.
 */
const FLOORS = [
  ['core/*'],
  ['data/*'],
  ['graph/tensor.ts'],
  ['layers/*'],
  ['graph/graph.ts', 'graph/shapes.ts', 'graph/plan.ts', 'graph/execute.ts', 'graph/buffers.ts', 'graph/batch.ts',
    'graph/init.ts', 'graph/summary.ts', 'graph/options.ts', 'graph/codec.ts', 'graph/loss.ts'],
  ['io/safetensors.ts', 'io/spec.ts', 'io/graph-spec.ts'],
  ['ec/structure.ts', 'ec/channels.ts'],
  ['optim/*'],
  ['ec/*'],
  ['optim/registry.ts'],
  ['train/*'],
  ['graph/weights.ts', 'graph/model.ts', 'graph/sequential.ts'],
  ['zoo/*'],
  ['io/checkpoint.ts'],
  ['index.ts'],
];

/**
 * Value imports that go up the floors today ("from -> to"), from the mid-migration layout: io/spec.ts
 * and io/safetensors.ts build models, and the checkpoint code in io/safetensors.ts builds optimizers.
 * Each disappears with the migration step that moves the code to its floor; delete an entry once its
 * import is gone.
 */

// ---------------------------------------------------------------------------------------------
// the tree

function parseArgs(argv) {
  let root = fileURLToPath(new URL('..', import.meta.url));
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--root' && argv[i + 1] !== undefined) root = resolve(argv[++i]);
    else if (argv[i].startsWith('--root=')) root = resolve(argv[i].slice('--root='.length));
    else {
      console.error(`check-layers: unknown argument '${argv[i]}' (usage: node scripts/check-layers.mjs [--root DIR])`);
      process.exit(2);
    }
  }
  return root;
}

/** Every file under dir (recursively) whose name matches `re`, as paths relative to root with '/'. */
function listFiles(root, dir, re) {
  const out = [];
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (re.test(name)) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(join(root, dir));
  return out;
}

/** Lines as `wc -l` counts them (newline characters; a last line without one counts too). */
function lineCount(text) {
  const n = text.split('\n').length;
  return text.endsWith('\n') ? n - 1 : n;
}

/**
 * The module specifiers a file imports: { spec, typeOnly, line } for import and export-from
 * declarations, `import x = require()`, dynamic `import('...')` with a literal, and inline
 * `import('...')` types.
 */
function importsOf(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS);
  const out = [];
  const add = (lit, typeOnly) => {
    if (lit && ts.isStringLiteralLike(lit)) out.push({ spec: lit.text, typeOnly, line: sf.getLineAndCharacterOfPosition(lit.getStart()).line + 1 });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : null;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The file a relative specifier names ('./x.js' is ./x.ts in TypeScript sources), or null. */
function resolveRelative(root, from, spec) {
  const base = resolve(root, dirname(from), spec);
  const candidates = [base, base.replace(/\.(m|c)?js$/, '.$1ts'), `${base}.ts`, join(base, 'index.ts')];
  const hit = candidates.find((p) => existsSync(p) && statSync(p).isFile());
  return hit === undefined ? null : relative(root, hit).split(sep).join('/');
}

// ---------------------------------------------------------------------------------------------
// the checks

/** Strongly connected components with more than one file, or a file importing itself (Tarjan). */
function cycles(graph) {
  let index = 0;
  const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], out = [];
  const strong = (v) => {
    idx.set(v, index); low.set(v, index); index++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const comp = [];
      let w;
      do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? new Set()).has(v)) out.push(comp.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);
  return out;
}

/** One concrete cycle through the first file of a component, for the message: a -> b -> a. */
function exampleCycle(graph, comp) {
  const inComp = new Set(comp);
  const start = comp[0];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!inComp.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let u = v; u !== start; u = prev.get(u)) path.splice(1, 0, u);
        return [...path, start].join(' -> ');
      }
      if (!prev.has(w)) { prev.set(w, v); queue.push(w); }
    }
  }
  return comp.join(', ');
}

function floorOf(file) {
  const rel = file.slice('src/'.length);
  let found = -1;
  FLOORS.forEach((patterns, floor) => {
    for (const p of patterns) {
      const match = p.endsWith('/*') ? rel.startsWith(p.slice(0, -1)) && !rel.slice(p.length - 1).includes('/') : rel === p;
      // an exact name wins over a folder pattern (optim/registry.ts over optim/*)
      if (match && (found < 0 || !p.endsWith('/*'))) found = floor;
    }
  });
  return found;
}

export function checkLayers(root) {
  const { oversize: KNOWN_OVERSIZE, cycles: KNOWN_CYCLES, upward: KNOWN_UPWARD } = readKnown(root);
  const errors = [];
  const warnings = [];
  const notes = [];

  // (a), (b), (d): the library
  const lib = listFiles(root, 'src', /\.(ts|js|mjs|cjs)$/).filter((f) => !f.endsWith('.d.ts'));
  const graph = new Map();
  const edges = [];
  for (const file of lib) {
    const text = readFileSync(join(root, file), 'utf8');
    const lines = text.startsWith('// GENERATED') ? 0 : lineCount(text);
    const ceiling = KNOWN_OVERSIZE[file];
    if (lines > MAX_LINES) {
      if (ceiling === undefined) errors.push(`${file}: ${lines} lines, over the budget of ${MAX_LINES} (split it: one job per file)`);
      else if (lines > ceiling) errors.push(`${file}: ${lines} lines, grew past its known ceiling of ${ceiling} (KNOWN_OVERSIZE may only shrink; split it)`);
      else warnings.push(`${file}: ${lines} lines, over ${MAX_LINES} (known, ceiling ${ceiling})`);
    } else if (ceiling !== undefined) {
      notes.push(`${file}: ${lines} lines, within the budget now: remove it from KNOWN_OVERSIZE in scripts/check-layers.known.json`);
    }
    if (!file.endsWith('.ts')) continue;
    const targets = new Set();
    for (const imp of importsOf(file, text)) {
      if (!imp.spec.startsWith('.')) continue;
      const to = resolveRelative(root, file, imp.spec);
      if (to === null) { errors.push(`${file}:${imp.line}: imports '${imp.spec}', which is not a file of the tree`); continue; }
      if (!to.endsWith('.ts')) continue;
      targets.add(to);
      edges.push({ from: file, to, typeOnly: imp.typeOnly, line: imp.line });
    }
    graph.set(file, targets);
  }
  for (const [file] of Object.entries(KNOWN_OVERSIZE)) {
    if (!lib.includes(file)) notes.push(`${file} is gone: remove it from KNOWN_OVERSIZE in scripts/check-layers.known.json`);
  }

  const found = cycles(graph);
  for (const comp of found) {
    const known = KNOWN_CYCLES.find((k) => comp.every((f) => k.includes(f)));
    if (known === undefined) errors.push(`import cycle among ${comp.length} files: ${exampleCycle(graph, comp)} (component: ${comp.join(', ')})`);
    else warnings.push(`import cycle (known): ${comp.join(', ')}`);
  }
  for (const k of KNOWN_CYCLES) {
    const live = found.filter((comp) => comp.every((f) => k.includes(f)));
    const gone = k.filter((f) => !live.some((comp) => comp.includes(f)));
    if (gone.length) notes.push(`no longer in a cycle: ${gone.join(', ')}: shrink KNOWN_CYCLES in scripts/check-layers.known.json`);
  }

  const seenUpward = new Set();
  for (const f of lib.filter((x) => x.endsWith('.ts'))) {
    if (floorOf(f) < 0) errors.push(`${f}: no floor in FLOORS of scripts/check-layers.mjs (add its folder at its place in the order)`);
  }
  for (const e of edges) {
    const a = floorOf(e.from), b = floorOf(e.to);
    if (a < 0 || b < 0 || b <= a || e.typeOnly) continue;
    const key = `${e.from} -> ${e.to}`;
    if (KNOWN_UPWARD.includes(key)) { seenUpward.add(key); continue; }
    errors.push(`${e.from}:${e.line}: imports values from ${e.to}, a higher floor (${FLOORS[b].join(', ')} above ${FLOORS[a].join(', ')}); take only types from it (import type), or move the code`);
  }
  for (const key of new Set(KNOWN_UPWARD)) {
    if (seenUpward.has(key)) warnings.push(`upward value import (known): ${key}`);
    else notes.push(`${key} no longer imports values upward: remove it from KNOWN_UPWARD in scripts/check-layers.known.json`);
  }

  // (c): the apps use the library as its users do
  for (const file of listFiles(root, 'apps', /\.(ts|mts|js|mjs)$/).filter((f) => !f.endsWith('.d.ts'))) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const imp of importsOf(file, text)) {
      if (imp.spec === 'ecopt' || imp.spec.startsWith('node:')) continue;
      if (imp.spec.startsWith('.')) {
        const to = resolveRelative(root, file, imp.spec);
        if (to !== null && to.startsWith('apps/')) continue;
        errors.push(`${file}:${imp.line}: imports '${imp.spec}'${to === null ? ', which is not a file of the tree' : ` (${to})`}; ` +
          "apps import only 'ecopt', node: builtins and files under apps/ (add a documented public export to src/index.ts if the app needs one)");
      } else {
        const hint = /^[a-z_]+(\/|$)/.test(imp.spec) && !imp.spec.includes('-') ? ` (a Node builtin? write 'node:${imp.spec}')` : '';
        errors.push(`${file}:${imp.line}: imports '${imp.spec}'${hint}; apps import only 'ecopt', node: builtins and files under apps/`);
      }
    }
  }
  return { errors, warnings, notes };
}

/** What the command prints and its exit code: warnings and notes, then errors, to stderr; ok to stdout. */
export function formatReport({ errors, warnings, notes }) {
  const stderr = [
    ...warnings.map((w) => `check-layers: warning: ${w}`),
    ...notes.map((n) => `check-layers: note: ${n}`),
    ...errors.map((e) => `check-layers: error: ${e}`),
  ];
  if (errors.length) stderr.push(`check-layers: ${errors.length} problem(s) (docs: architecture.md, "Target layout" and "Floors")`);
  const stdout = errors.length ? '' : `check-layers: ok (${warnings.length} known exception(s) left to remove)\n`;
  return { code: errors.length ? 1 : 0, stdout, stderr: stderr.map((l) => l + '\n').join('') };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const report = formatReport(checkLayers(parseArgs(process.argv.slice(2))));
  process.stderr.write(report.stderr);
  process.stdout.write(report.stdout);
  process.exitCode = report.code;
}
