// The wasm module's exports: every kernel, plus the heap base above which TypeScript owns memory.
export * from './gemm';
export * from './dense';
export * from './activation';
export * from './loss';
export * from './optimizer';
export * from './random';
export * from './util';
export * from './ec';
export * from './threads';
export * from './schedule';
export * from './conv2d';
export * from './pool2d';
export * from './merge';
export * from './clip';

export function heap_base(): usize {
  return __heap_base;
}
