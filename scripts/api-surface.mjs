// The public API surface of the package: every name src/index.ts exports, found with the
// TypeScript compiler (values and types), with its kind, whether it is marked @internal or
// @deprecated (in its declaration's doc comment, or in a doc comment on the export statement in
// src/index.ts) and whether it has a doc comment.
//
//   node scripts/api-surface.mjs            print the surface in the format of api/public-api.txt
//   node scripts/api-surface.mjs --write    rewrite api/public-api.txt (a deliberate API change)
//
// test/api.node.test.ts compares api/public-api.txt with the surface and fails on a public name
// without a doc comment; scripts/typedoc-internal.mjs hides the names marked @internal there.
import ts from 'typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const API_FILE = join(ROOT, 'api', 'public-api.txt');

const HEADER = `# The API surface of ecopt: every name src/index.ts exports (values and types), sorted.
# Format: <name> <kind> [@internal | @deprecated]. @internal names stay exported for the package's
# own modules and tests but are not documented and carry no compatibility promise; @deprecated
# names are removed only in a major version (CHANGELOG.md). test/api.node.test.ts fails when this
# file and src/index.ts disagree: after a deliberate change run \`npm run api:update\`.
`;

function kindOf(decl) {
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isVariableDeclaration(decl)) return 'const';
  if (ts.isInterfaceDeclaration(decl)) return 'interface';
  if (ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isEnumDeclaration(decl)) return 'enum';
  return ts.SyntaxKind[decl.kind];
}

/** Text of the doc comments (`/** ... *\/`) directly before `node`. */
function leadingDocComments(node, sf) {
  const text = sf.getFullText();
  return (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [])
    .map((r) => text.slice(r.pos, r.end))
    .filter((c) => c.startsWith('/**'));
}

/**
 * The exported names of src/index.ts: [{ name, kind, internal, deprecated, documented, file }],
 * sorted by name (code-point order).
 */
export function apiSurface(root = ROOT) {
  const entry = join(root, 'src', 'index.ts');
  const program = ts.createProgram([entry], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, skipLibCheck: true, noEmit: true, types: [], noLib: true, // exports and doc comments need no lib: fast
  });
  const checker = program.getTypeChecker();
  const sf = program.getSourceFile(entry);
  if (!sf) throw new Error(`cannot read ${entry}`);
  // marks written on the export statements of src/index.ts (for names declared in files whose own
  // doc comments cannot say it yet)
  const indexMarks = new Map();
  for (const st of sf.statements) {
    if (!ts.isExportDeclaration(st) || !st.exportClause || !ts.isNamedExports(st.exportClause)) continue;
    const stDocs = leadingDocComments(st, sf).join('\n');
    for (const el of st.exportClause.elements) {
      const docs = stDocs + '\n' + leadingDocComments(el, sf).join('\n');
      indexMarks.set(el.name.text, { internal: /@internal\b/.test(docs), deprecated: /@deprecated\b/.test(docs) });
    }
  }
  const out = [];
  for (const sym of checker.getExportsOfModule(checker.getSymbolAtLocation(sf))) {
    const target = sym.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(sym) : sym;
    const decl = target.declarations?.[0];
    if (!decl) throw new Error(`${sym.name}: no declaration found`);
    const tags = target.getJsDocTags(checker).map((t) => t.name);
    const marks = indexMarks.get(sym.name) ?? { internal: false, deprecated: false };
    const doc = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
    out.push({
      name: sym.name,
      kind: kindOf(decl),
      internal: tags.includes('internal') || marks.internal,
      deprecated: tags.includes('deprecated') || marks.deprecated,
      documented: doc.length > 0,
      file: relative(root, decl.getSourceFile().fileName),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The text of api/public-api.txt for a surface. */
export function formatSurface(entries) {
  const lines = entries.map((e) => [e.name, e.kind, e.internal ? '@internal' : '', e.deprecated ? '@deprecated' : ''].filter(Boolean).join(' '));
  return HEADER + lines.join('\n') + '\n';
}

/** The entries of api/public-api.txt: [{ name, kind, internal, deprecated }]. */
export function readSurfaceFile(file = API_FILE) {
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => {
    const [name, kind, ...marks] = l.trim().split(/\s+/);
    return { name, kind, internal: marks.includes('@internal'), deprecated: marks.includes('@deprecated') };
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = formatSurface(apiSurface());
  if (process.argv.includes('--write')) {
    writeFileSync(API_FILE, text);
    console.log(`wrote ${relative(process.cwd(), API_FILE)}`);
  } else {
    process.stdout.write(text);
  }
}
