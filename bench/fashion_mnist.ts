import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * Fashion-MNIST as Debian ships it (package dataset-fashion-mnist: 28×28 grey images of 10 kinds of
 * clothing, in the original IDX files), scaled to [0,1], NHWC with one channel.
 */
export const FASHION_MNIST_DIR = process.env.MLOOP_BENCH_FASHION_MNIST ?? '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

export interface ImageSet {
  x: Float32Array;
  y: Int32Array;
  n: number;
  size: number;
}

function idx(file: string, magic: number): { dims: number[]; data: Uint8Array } {
  const bytes = gunzipSync(readFileSync(file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${file} is not an IDX file of the expected kind`);
  const rank = magic & 0xff;
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  return { dims, data: bytes.subarray(4 + 4 * rank) };
}

/** The first `n` images of a split ('train' or 't10k'); absent files say which package to install. */
export function readFashionMnist(split: 'train' | 't10k', n: number): ImageSet {
  const images = path.join(FASHION_MNIST_DIR, `${split}-images-idx3-ubyte.gz`);
  if (!existsSync(images)) throw new Error(`${images} is missing: apt-get install dataset-fashion-mnist (or set MLOOP_BENCH_FASHION_MNIST)`);
  const { dims, data } = idx(images, 0x0803);
  const labels = idx(path.join(FASHION_MNIST_DIR, `${split}-labels-idx1-ubyte.gz`), 0x0801).data;
  const count = Math.min(n, dims[0]);
  const pixels = dims[1] * dims[2];
  const x = new Float32Array(count * pixels);
  for (let i = 0; i < x.length; i++) x[i] = data[i] / 255;
  return { x, y: Int32Array.from(labels.subarray(0, count)), n: count, size: dims[1] };
}
