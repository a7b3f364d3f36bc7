// `npm run bench`: runs every benny suite in order (or the ones named on the command line).
const all = ['gemm', 'mlp', 'conv'];
const pick = process.argv.slice(2);
for (const name of pick.length ? pick : all) {
  if (!all.includes(name)) { console.error(`unknown suite '${name}' (have: ${all.join(', ')})`); process.exit(2); }
  await import(`./${name}.bench.js`);
}
