import type { BinnedColumn } from './binning';
import { binRows } from './binning';
import type { HistogramLayout } from './histogram';
import { histogramKernelModule, KernelArena, type TypedArrayType } from './histogram_kernel';
import type { ObjectiveName } from './objective';
import { kernelScratchBytes, OBJECTIVE_CODES } from './shard_ops';
import { maxShardRows, type SharedArrays } from './shards';

/**
 * The arrays a tree grower's shards work on, allocated from `buffer` (shared memory when worker threads
 * run): the binned training rows, gradients, scores and labels, the tree being grown, and the
 * validation rows it is scored on. gbdt and the forests set them up alike; only what they put in the
 * gradients differs.
 */
export interface ShardSetup {
  train: { X: Float32Array; n: number };
  validation: { X: Float32Array; n: number };
  width: number;
  columns: BinnedColumn[];
  layout: HistogramLayout;
  objective: ObjectiveName;
  numClass: number;
  scalePosWeight: number;
  numLeaves: number;
  /** Whether rows are sampled per tree (bagging, bootstrap): the in-bag mask is needed then. */
  sampled: boolean;
  /** The labels, as labelsOf gives them. */
  y: ArrayLike<number>;
  yVal: ArrayLike<number>;
  /**
   * Whether the validation rows are scored in bins (ShardView.valBins): only for trees split at bin
   * boundaries, which an extra tree's drawn thresholds are not.
   */
  binValidation?: boolean;
  /** Worker threads sharing the arrays: above one, the validation rows are copied to shared memory too. */
  threads: number;
  buffer: (bytes: number) => ArrayBufferLike;
}

export function shardArrays(s: ShardSetup): SharedArrays {
  const { n } = s.train;
  const nv = s.validation.n;
  const { buffer, numClass: K, numLeaves: L, columns, layout } = s;
  const C = columns.length;
  // what the histogram kernel reads lives in its memory, each shard's scratch after it
  const scratchBytes = kernelScratchBytes(layout.totalBins, C, maxShardRows(n, s.threads));
  // the binary gradients' kernel reads the scores and labels there too; the other objectives' are
  // computed in JavaScript, and K classes of scores would only crowd wasm32's 4 GiB
  const binary = s.objective === 'binary';
  const arena = KernelArena.forRegions([n * C, K * n * 4, K * n * 4, n * 4, 256, binary ? K * n * 8 : 0, binary ? n * 4 : 0, s.threads * scratchBytes]);
  const inArena = <T>(Type: TypedArrayType<T>, length: number): [T, number] =>
    arena === null ? [new Type(buffer(length * Type.BYTES_PER_ELEMENT), 0, length), 0] : arena.view(Type, length);
  const [bins, pBins] = inArena(Uint8Array, n * C);
  const [g, pG] = inArena(Float32Array, K * n);
  const [h, pH] = inArena(Float32Array, K * n);
  const [indices, pIdx] = inArena(Uint32Array, n);
  const [goesLeft, pLut] = inArena(Uint8Array, 256);
  const outside = <T>(Type: TypedArrayType<T>, length: number): [T, number] => [new Type(buffer(length * Type.BYTES_PER_ELEMENT), 0, length), 0];
  const [scores, pScores] = (binary ? inArena : outside)(Float64Array, K * n);
  const [y, pY] = (binary ? inArena : outside)(Float32Array, n);
  const pScratch = arena === null ? 0 : arena.take(s.threads * scratchBytes);
  let valX = s.validation.X;
  let valBins: Uint8Array = new Uint8Array(0);
  if (s.binValidation) {
    valBins = binRows(s.validation.X, nv, s.width, columns, new Uint8Array(buffer(nv * C))).bins;
    valX = new Float32Array(0);
  } else if (s.threads > 1) {
    valX = new Float32Array(buffer(valX.length * 4));
    valX.set(s.validation.X);
  }
  const shared: SharedArrays = {
    n,
    numClass: K,
    objective: OBJECTIVE_CODES[s.objective],
    scalePosWeight: s.scalePosWeight,
    bins: binRows(s.train.X, n, s.width, columns, bins).bins,
    g,
    h,
    scores,
    y,
    inBag: new Uint8Array(buffer(s.sampled ? n : 0)),
    goesLeft,
    usable: new Int32Array(buffer(columns.length * 4)),
    treeFeature: new Int32Array(buffer((L - 1) * 4)),
    treeThreshold: new Float64Array(buffer((L - 1) * 8)),
    treeDefaultLeft: new Uint8Array(buffer(L - 1)),
    treeLeft: new Int32Array(buffer((L - 1) * 4)),
    treeRight: new Int32Array(buffer((L - 1) * 4)),
    leafValue: new Float64Array(buffer(L * 8)),
    valX,
    valBins,
    treeColumn: new Int32Array(buffer((L - 1) * 4)),
    treeLut: new Uint8Array(buffer((L - 1) * 256)),
    valN: nv,
    width: s.width,
    valY: new Float32Array(buffer(nv * 4)),
    valScores: new Float64Array(buffer(K * nv * 8)),
    offsets: layout.offsets,
    numBins: layout.numBins,
    totalBins: layout.totalBins,
    indices,
    memory: arena?.memory ?? null,
    kernelModule: arena === null ? null : histogramKernelModule(),
    pBins,
    pLut,
    pScores,
    pY,
    pG,
    pH,
    pIdx,
    pScratch,
    scratchBytes,
  };
  shared.y.set(s.y);
  shared.valY.set(s.yVal);
  return shared;
}
