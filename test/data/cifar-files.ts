// Small files in CIFAR-10's exact binary format (records of 1 label byte + 3072 pixel bytes, the
// red, green and blue 32x32 planes), from integer arithmetic only: the Node test writes them to a
// directory, vitest.config.ts serves them to the browser test under /cifar10/.

/** Records per file of the fixture: five training files of different lengths and the test file. */
export const CIFAR_COUNTS: Record<string, number> = {
  'data_batch_1.bin': 3, 'data_batch_2.bin': 2, 'data_batch_3.bin': 4, 'data_batch_4.bin': 1, 'data_batch_5.bin': 3, 'test_batch.bin': 5,
};

/** Label of record r of file f (0..9). */
export const cifarLabel = (f: number, r: number) => (f * 7 + r * 3) % 10;

/** Pixel i (0..3071) of record r of file f. */
export const cifarPixel = (f: number, r: number, i: number) => (Math.imul(f * 131 + r * 17 + 1, 2654435761) + i * 97 + (i >> 10) * 31) >>> 24;

/** The six files: name -> bytes. */
export function cifarFiles(counts: Record<string, number> = CIFAR_COUNTS): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  Object.entries(counts).forEach(([name, n], f) => {
    const b = new Uint8Array(n * 3073);
    for (let r = 0; r < n; r++) {
      b[r * 3073] = cifarLabel(f, r);
      for (let i = 0; i < 3072; i++) b[r * 3073 + 1 + i] = cifarPixel(f, r, i);
    }
    out[name] = b;
  });
  return out;
}

/** What loadCIFAR10 must return for the files of `counts`: the train files in order, then the test file. */
export function cifarExpected(counts: Record<string, number> = CIFAR_COUNTS): { train: { images: Uint8Array; labels: Uint8Array }; test: { images: Uint8Array; labels: Uint8Array } } {
  const split = (names: string[]) => {
    const files = Object.keys(counts);
    const labels: number[] = [];
    const images: number[] = [];
    for (const name of names) {
      const f = files.indexOf(name);
      for (let r = 0; r < counts[name]; r++) {
        labels.push(cifarLabel(f, r));
        for (let i = 0; i < 3072; i++) images.push(cifarPixel(f, r, i));
      }
    }
    return { images: Uint8Array.from(images), labels: Uint8Array.from(labels) };
  };
  return { train: split([1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)), test: split(['test_batch.bin']) };
}
