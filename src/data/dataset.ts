// Datasets as the library takes them ({ images, labels, count, shape, classes }): checks, subsets,
// and the IDX format MNIST-style files use (parseIDX, datasetFromIDX).
import { FormatError, ShapeError, ArgumentError, describeValue } from '../core/errors.js';

/** The pixel arrays a Dataset may hold: float32 values, or bytes 0..255 (scaled to [0, 1] in wasm). */
export type DatasetImages = Float32Array | Uint8Array;

/**
 * A labelled dataset: images sample-major, as float32 (usually in [0, 1]) or as bytes (a quarter of
 * the memory: fit, evaluate and validation scale each batch to exactly `v / 255` in float32, in
 * wasm); labels are class indices. `Dataset` alone means float32 images (as loadMNIST returns);
 * fit and evaluate take `Dataset<DatasetImages>`, either kind.
 */
export interface Dataset<Images extends DatasetImages = Float32Array> {
  images: Images;
  labels: Uint8Array | Int32Array;
  count: number;
  /** Per-sample shape, e.g. [1, 28, 28]. */
  shape: number[];
  /** Number of classes (labels are in [0, classes)). */
  classes: number;
  /**
   * Float targets, count × outputs, sample-major: what models with loss 'bce-with-logits', 'mse'
   * or 'huber' train on (cross-entropy uses `labels`).
   */
  targets?: Float32Array;
}

/**
 * A dataset of float targets (count × outputs, sample-major) for models with loss
 * 'bce-with-logits', 'mse' or 'huber': like Dataset, but labels and classes are optional.
 */
export interface TargetDataset<Images extends DatasetImages = Float32Array> {
  images: Images;
  targets: Float32Array;
  labels?: Uint8Array | Int32Array;
  count: number;
  /** Per-sample shape, e.g. [1, 28, 28]. */
  shape: number[];
  classes?: number;
}

/** What fit() and evaluate() take: class labels (Dataset) or float targets (TargetDataset), float32 or byte images. */
export type TrainingData = Dataset<DatasetImages> | TargetDataset<DatasetImages>;

/** A dataset after checkDataset(): its count, and the labels or targets the model's loss reads. */
export interface CheckedData {
  images: DatasetImages;
  labels?: Uint8Array | Int32Array;
  targets?: Float32Array;
  count: number;
  shape: number[];
}

/** A parsed IDX file: element type, dimensions and the data bytes after the header. */
export interface IDX {
  /** 0x08 = unsigned byte (the only type the MNIST family uses). */
  type: number;
  dims: number[];
  data: Uint8Array;
}

/** Parses an IDX file (big-endian header: 0, 0, type, ndim, then ndim u32 sizes, then data). */
export function parseIDX(bytes: Uint8Array, what = 'IDX file'): IDX {
  if (!(bytes instanceof Uint8Array)) throw new FormatError(`${what}: expected a Uint8Array, got ${describeValue(bytes)}`);
  if (bytes.length < 4) throw new FormatError(`${what}: truncated (${bytes.length} bytes; an IDX header has at least 4)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new FormatError(`${what}: wrong magic number (first two bytes must be 0, got ${bytes[0]}, ${bytes[1]})`);
  const type = bytes[2];
  const ndim = bytes[3];
  if (type !== 0x08) throw new FormatError(`${what}: unsupported element type 0x${type.toString(16)} (only unsigned byte 0x08 is supported)`);
  if (ndim < 1 || ndim > 4) throw new FormatError(`${what}: unsupported number of dimensions ${ndim} (1 to 4)`);
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) throw new FormatError(`${what}: truncated header (${bytes.length} bytes, need ${headerLen})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let total = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    total *= d;
  }
  const have = bytes.length - headerLen;
  if (total !== have) {
    throw new FormatError(`${what}: header says [${dims.join(', ')}] = ${total} bytes of data, but the file has ${have} after the header` +
      (total > have ? ' (truncated)' : ' (trailing bytes)'));
  }
  return { type, dims, data: bytes.subarray(headerLen) };
}

/** Builds a Dataset from an IDX image file (N, H, W) and an IDX label file (N). */
export function datasetFromIDX(imageBytes: Uint8Array, labelBytes: Uint8Array, classes = 10): Dataset {
  if (typeof classes !== 'number' || !Number.isInteger(classes) || classes <= 0 || classes > 256) {
    throw new ArgumentError(`datasetFromIDX: classes must be a positive integer, got ${describeValue(classes)} (at most 256: labels are bytes)`);
  }
  const img = parseIDX(imageBytes, 'image IDX file');
  const lab = parseIDX(labelBytes, 'label IDX file');
  if (img.dims.length !== 3) throw new FormatError(`image IDX file: expected 3 dimensions (N, H, W), got [${img.dims.join(', ')}]`);
  if (lab.dims.length !== 1) throw new FormatError(`label IDX file: expected 1 dimension (N), got [${lab.dims.join(', ')}]`);
  const [n, h, w] = img.dims;
  if (lab.dims[0] !== n) throw new FormatError(`IDX files disagree: ${n} images but ${lab.dims[0]} labels`);
  if (n === 0) throw new FormatError('IDX files hold no samples');
  if (h === 0 || w === 0) throw new FormatError(`image IDX file: images of ${h}x${w} pixels hold no data`);
  const images = new Float32Array(img.data.length);
  for (let i = 0; i < images.length; i++) images[i] = img.data[i] / 255;
  const labels = new Uint8Array(lab.data);
  for (let i = 0; i < n; i++) {
    if (labels[i] >= classes) throw new FormatError(`label IDX file: label ${labels[i]} at index ${i} is not a class in [0, ${classes})`);
  }
  return { images, labels, count: n, shape: [1, h, w], classes };
}

/** The first n samples of a dataset (a view, no copy; labels and targets alike). */
export function limit<D extends { images: DatasetImages; count: number; labels?: Uint8Array | Int32Array; targets?: Float32Array }>(ds: D, n: number | undefined, what = 'limit'): D {
  if (n === undefined) return ds;
  if (!Number.isInteger(n) || n <= 0) throw new ArgumentError(`${what} must be a positive integer, got ${describeValue(n)}`);
  if (n >= ds.count) return ds;
  const per = ds.images.length / ds.count;
  const out = { ...ds, images: ds.images.subarray(0, n * per), count: n };
  if (ds.labels) out.labels = ds.labels.subarray(0, n);
  if (ds.targets) out.targets = ds.targets.subarray(0, n * (ds.targets.length / ds.count));
  return out;
}

/**
 * Validates a dataset object (images of `sampleSize` values per sample) and returns it with its
 * count. `outputs` given: the model trains on float targets, `targets` must hold count × outputs
 * values (labels are then optional); otherwise `labels` must hold count class indices.
 */
export function checkDataset(ds: unknown, what: string, sampleSize: number, outputs?: number): CheckedData {
  const d = ds as CheckedData;
  const wants = outputs === undefined ? 'labels' : 'targets';
  if (!d || typeof d !== 'object') throw new ArgumentError(`${what}: expected a dataset { images, ${wants}, count }, got ${describeValue(ds)}`);
  if (!(d.images instanceof Float32Array || d.images instanceof Uint8Array)) {
    throw new ShapeError(`${what}: images must be a Float32Array or a Uint8Array (bytes 0..255), got ${describeValue(d.images)}`);
  }
  if (outputs === undefined) {
    if (!(d.labels instanceof Uint8Array || d.labels instanceof Int32Array)) {
      const hint = d.targets instanceof Float32Array ? ' (the dataset has float targets: give the model a loss that reads them, e.g. { loss: \'mse\' } or \'bce-with-logits\')' : '';
      throw new ShapeError(`${what}: labels must be a Uint8Array or Int32Array, got ${describeValue(d.labels)}${hint}`);
    }
  } else if (!(d.targets instanceof Float32Array)) {
    throw new ShapeError(`${what}: the model's loss trains on float targets: the dataset needs targets, a Float32Array of count × ${outputs} values, got ${describeValue(d.targets)}`);
  }
  const count = d.count ?? (outputs === undefined ? d.labels!.length : d.targets!.length / outputs);
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw new ShapeError(`${what}: the dataset's count must be a positive integer, got ${describeValue(count)}`);
  if (count === 0) throw new ShapeError(`${what}: the dataset is empty (count = 0)`);
  if (outputs === undefined) {
    if (d.labels!.length !== count) throw new ShapeError(`${what}: ${d.labels!.length} labels for count = ${count} samples`);
  } else if (d.targets!.length !== count * outputs) {
    throw new ShapeError(`${what}: targets has ${d.targets!.length} values, expected count × outputs = ${count} × ${outputs} = ${count * outputs}`);
  }
  if (d.images.length !== count * sampleSize) {
    throw new ShapeError(`${what}: images has ${d.images.length} values, expected count × sample size = ${count} × ${sampleSize} = ${count * sampleSize}`);
  }
  return { ...d, count };
}
