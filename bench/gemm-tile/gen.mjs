// Generates AssemblyScript GEMM microkernel candidates for bench/gemm-tile.mjs.
// A candidate is (mr rows) x (nv f32x4 columns) with a strategy for where the operands live:
//   pre:    all nv B vectors loaded at the top of each k step, one A broadcast per row (the product's 4x8)
//   pre1:   B vector 0 loaded once per k step, the others loaded right where they are multiplied
//   stream: every B vector loaded where it is multiplied (hoping V8 folds it: vmulps x, a, [mem])
//   dbl:    all B preloaded, the A broadcast reloaded for every product (no live A register)
//   shuf:   all B preloaded, the mr (<= 4) A values of a k step loaded as one v128 and broadcast by
//           lane shuffles (fewer live loaded registers, but the shuffles use FP pipes)
//   bar:    pre, plus a store of every accumulator to C after each k step (a barrier on V8's effect
//           chain: the next step's loads cannot be hoisted above this step's arithmetic)
// u = k steps per loop iteration. Every accumulator follows acc = acc + a*b in k order.
export function kernelSource(name, mr, nv, strategy, u = 1) {
  const L = [];
  const acc = (i, j) => `c${i}_${j}`;
  L.push(`@noinline function ${name}(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, useC: bool): void {`);
  for (let i = 0; i < mr; i++) for (let j = 0; j < nv; j++) L.push(`  let ${acc(i, j)} = f32x4.splat(0);`);
  L.push('  if (useC) {');
  for (let i = 0; i < mr; i++) for (let j = 0; j < nv; j++) L.push(`    ${acc(i, j)} = v128.load(c + ${i} * ldc, ${16 * j});`);
  L.push('  }');
  const aStride = 4 * mr, bStride = 16 * nv;
  if (u > 1) L.push(`  const endU = bp + (<usize>(kc & ~${u - 1}) * ${bStride});`);
  const step = (ind, kk) => {
    const ao = kk * aStride, bo = kk * bStride;
    const bl = (j) => `v128.load(bp, ${bo + 16 * j})`;
    const al = (i) => `v128.load32_splat(ap, ${ao + 4 * i})`;
    if (strategy === 'shuf') L.push(`${ind}const av${kk} = v128.load(ap, ${ao});`);
    if (strategy === 'pre' || strategy === 'dbl' || strategy === 'shuf' || strategy === 'bar') for (let j = 0; j < nv; j++) L.push(`${ind}const b${kk}_${j} = ${bl(j)};`);
    if (strategy === 'pre1') L.push(`${ind}const b${kk}_0 = ${bl(0)};`);
    for (let i = 0; i < mr; i++) {
      if (strategy === 'shuf') L.push(`${ind}const a${kk}_${i} = v128.shuffle<i32>(av${kk}, av${kk}, ${i}, ${i}, ${i}, ${i});`);
      else if (strategy !== 'dbl') L.push(`${ind}const a${kk}_${i} = ${al(i)};`);
      for (let j = 0; j < nv; j++) {
        const a = strategy === 'dbl' ? al(i) : `a${kk}_${i}`;
        const b = strategy === 'stream' || (strategy === 'pre1' && j > 0) ? bl(j) : `b${kk}_${j}`;
        L.push(`${ind}${acc(i, j)} = f32x4.add(${acc(i, j)}, f32x4.mul(${a}, ${b}));`);
      }
    }
    if (strategy === 'bar') for (let i = 0; i < mr; i++) for (let j = 0; j < nv; j++) L.push(`${ind}v128.store(c + ${i} * ldc, ${acc(i, j)}, ${16 * j});`);
  };
  if (u > 1) {
    L.push('  while (bp < endU) {');
    for (let kk = 0; kk < u; kk++) step('    ', kk);
    L.push(`    ap += ${u * aStride}; bp += ${u * bStride};`);
    L.push('  }');
  }
  L.push(`  const end = bp + (<usize>(kc & ${u - 1 || ~0}) * ${bStride});`.replace(`& ${~0}`, '& -1'));
  if (u === 1) { L.pop(); L.push(`  const end = bp + (<usize>kc * ${bStride});`); }
  L.push('  while (bp < end) {');
  step('    ', 0);
  L.push(`    ap += ${aStride}; bp += ${bStride};`);
  L.push('  }');
  for (let i = 0; i < mr; i++) for (let j = 0; j < nv; j++) L.push(`  v128.store(c + ${i} * ldc, ${acc(i, j)}, ${16 * j});`);
  L.push('}');
  // driver: the kernel `reps` times over the same L1-resident panels (C row stride = the tile width)
  L.push(`export function run_${name}(a: usize, b: usize, c: usize, kc: i32, reps: i32, useC: bool): void {`);
  // two call sites, as in the product (tile and edge paths), so Binaryen does not inline the kernel:
  // inlined into this loop nest, V8 schedules it differently (all loads of a k step hoisted first)
  L.push(`  for (let r = 0; r < reps; r++) { if (useC) ${name}(a, b, kc, c, ${16 * nv}, true); else ${name}(a, b, kc, c, ${16 * nv}, false); }`);
  L.push('}');
  return L.join('\n');
}
