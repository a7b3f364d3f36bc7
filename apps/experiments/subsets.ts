// Dataset subsets without copies: a range of samples (validation splits) and the first n (--limit).
import type { Dataset } from 'ecopt';

/** Samples [from, to) of ds, as views. */
export function slice(ds: Dataset, from: number, to: number): Dataset {
  const per = ds.images.length / ds.count;
  return { ...ds, images: ds.images.subarray(from * per, to * per), labels: ds.labels.subarray(from, to), count: to - from };
}

/** The first n samples of ds (all when n is undefined or not smaller). */
export function head(ds: Dataset, n?: number): Dataset {
  return n === undefined || n >= ds.count ? ds : slice(ds, 0, n);
}
