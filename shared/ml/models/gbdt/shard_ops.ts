/**
 * The row-wise work of boosting, done per shard of the training rows: gradients, the partition of each
 * leaf's rows, histograms, adding a tree to the scores. With one thread there is one shard and these
 * run inline; with more, each worker thread owns a shard and the main thread sums the shards'
 * histograms (LightGBM's data-parallel learning, within one process). Rows are dealt to shards in
 * blocks, in turn, so that a leaf of rows that are neighbours in the file (a time range) still spreads
 * over every shard.
 *
 * These functions also run in worker threads from their source text (see shards.ts), so they may use
 * nothing from outside this module and nothing imported — only each other, by name, and globals.
 */
export interface ShardView {
  // shared by all shards (SharedArrayBuffers when there are workers)
  n: number;
  numClass: number;
  /** 0 binary logloss, 1 softmax, 2 squared error. */
  objective: number;
  scalePosWeight: number;
  /** Row-major [n × columns]: binned column j of row i at i·columns + j, so a row's bins share a cache line. */
  bins: Uint8Array;
  /** Class-major [K × n]. */
  g: Float32Array;
  h: Float32Array;
  scores: Float64Array;
  y: Float32Array;
  /** 1 for the rows of the current bag. */
  inBag: Uint8Array;
  /** Per bin of the column being split: 1 when its rows go left. */
  goesLeft: Uint8Array;
  /** The binned columns the current tree may split on. */
  usable: Int32Array;
  /** The tree just grown, as in tree.ts, for the validation rows to go through. */
  treeFeature: Int32Array;
  treeThreshold: Float64Array;
  treeDefaultLeft: Uint8Array;
  treeLeft: Int32Array;
  treeRight: Int32Array;
  leafValue: Float64Array;
  /** Validation rows, row-major [valN × width] as encodeRecords writes them; empty when valBins holds them. */
  valX: Float32Array;
  /**
   * Or the validation rows binned as the training rows ([valN × columns]), for trees whose every split
   * is a bin boundary (gbdt's): a quarter of the memory, and no copy of the floats for the workers.
   */
  valBins: Uint8Array;
  /** Per node of the tree just grown: the binned column it splits and its goesLeft table (256 a node). */
  treeColumn: Int32Array;
  treeLut: Uint8Array;
  valN: number;
  width: number;
  valY: Float32Array;
  /** Class-major [K × valN]. */
  valScores: Float64Array;
  offsets: Int32Array;
  numBins: Int32Array;
  totalBins: number;
  /** The row partition: each shard's rows are a region of it, each leaf's rows a run of that region. */
  indices: Uint32Array;
  // this shard's
  shard: number;
  shards: number;
  /** Rows per block dealt to a shard. */
  block: number;
  /** Where this shard's region of `indices` starts. */
  start: number;
  leafBegin: Int32Array;
  leafCount: Int32Array;
  /** Histogram of the leaf last built, [totalBins × (g, h, count)]. */
  hist: Float64Array;
  /** Over this shard's rows: g, h and rows of the current tree's root; the validation and training losses last summed. */
  sums: Float64Array;
  og: Float32Array;
  oh: Float32Array;
  scratch: Uint32Array;
  // the WebAssembly histogram kernel (histogram_kernel.ts), when the arrays live in its memory
  /** The memory bins, g, h and indices are views of; null when they are plain buffers and the JS loop runs. */
  memory: WebAssembly.Memory | null;
  kernelModule: WebAssembly.Module | null;
  /** Byte offsets in `memory` of bins, g, h, indices, goesLeft, scores, y and of shard 0's scratch (each shard's follows). */
  pBins: number;
  pScores: number;
  pY: number;
  pLut: number;
  pG: number;
  pH: number;
  pIdx: number;
  pScratch: number;
  scratchBytes: number;
  /** This thread's instance of the kernel, and this shard's scratch: (g, h) and count per bin, the columns' offsets. */
  kernel: ((...args: number[]) => void) | null;
  partition: ((...args: number[]) => number) | null;
  /** The binary logloss's gradients of a range of rows, and the loss of those of them sampled. */
  binaryGradients: ((...args: number[]) => number) | null;
  kernelAt: number;
  wHist: Float64Array;
  wCnt: Int32Array;
  wCols: Int32Array;
}

/**
 * The bytes of one shard's kernel scratch: (g, h) f64 and an i32 count per bin, two i32 per column, and
 * room for the right-hand rows of a partition (`rows`, the most a shard holds).
 */
export function kernelScratchBytes(totalBins: number, columns: number, rows: number): number {
  return Math.ceil((totalBins * 20 + columns * 8 + rows * 4) / 16) * 16;
}

/** Views of this shard's kernel scratch, and this thread's instance of the kernel (none without one). */
export function shardKernel(v: ShardView): void {
  if (!v.memory || !v.kernelModule) return;
  const C = v.offsets.length;
  v.kernelAt = v.pScratch + v.shard * v.scratchBytes;
  v.wHist = new Float64Array(v.memory.buffer, v.kernelAt, v.totalBins * 2);
  v.wCnt = new Int32Array(v.memory.buffer, v.kernelAt + v.totalBins * 16, v.totalBins);
  v.wCols = new Int32Array(v.memory.buffer, v.kernelAt + v.totalBins * 20, 2 * C);
  const instance = new WebAssembly.Instance(v.kernelModule, { env: { memory: v.memory } });
  v.kernel = instance.exports.histogram as (...args: number[]) => void;
  v.partition = instance.exports.partition as (...args: number[]) => number;
  v.binaryGradients = instance.exports.binaryGradients as (...args: number[]) => number;
}

export const OBJECTIVE_CODES = { binary: 0, multiclass: 1, regression: 2 } as const;

/** Gradients and hessians of every class for this shard's rows (LightGBM's formulas). */
export function shardGradients(v: ShardView): void {
  const { n, numClass: K, scores, y, g, h, scalePosWeight } = v;
  // a hessian of exactly 0 would divide by zero with lambda_l2 = 0; LightGBM floors it the same way
  const minHessian = 1e-16;
  const prob = new Float64Array(K);
  // the softmax has one redundant degree of freedom: LightGBM scales its diagonal hessian by K/(K−1)
  const factor = K / (K - 1);
  if (v.objective === 0 && v.binaryGradients) {
    for (let b = v.shard; b * v.block < n; b += v.shards) v.binaryGradients(v.pScores, v.pY, v.pG, v.pH, b * v.block, Math.min(n, (b + 1) * v.block), scalePosWeight, 0, 0, n);
    return;
  }
  for (let b = v.shard; b * v.block < n; b += v.shards) {
    const end = Math.min(n, (b + 1) * v.block);
    for (let i = b * v.block; i < end; i++) {
      if (v.objective === 0) {
        const p = 1 / (1 + Math.exp(-scores[i]));
        const w = y[i] > 0 ? scalePosWeight : 1;
        g[i] = (p - y[i]) * w;
        h[i] = Math.max(p * (1 - p), minHessian) * w;
      } else if (v.objective === 1) {
        let max = -Infinity;
        for (let k = 0; k < K; k++) max = Math.max(max, scores[k * n + i]);
        let sum = 0;
        for (let k = 0; k < K; k++) sum += prob[k] = Math.exp(scores[k * n + i] - max);
        for (let k = 0; k < K; k++) {
          const p = prob[k] / sum;
          g[k * n + i] = k === y[i] ? p - 1 : p;
          h[k * n + i] = Math.max(factor * p * (1 - p), minHessian);
        }
      } else {
        g[i] = scores[i] - y[i];
        h[i] = 1;
      }
    }
  }
}

/**
 * `hist` := the histogram of one leaf's rows in this shard, over the usable columns. With the
 * WebAssembly kernel, it runs over the leaf's rows once, adding each row's gradient and hessian to the
 * bin of every usable column; its (g, h) pairs and counts are then laid out as the triples of `hist`.
 * Without, the same loop in JavaScript, on the rows' gradients first gathered in row order.
 */
export function shardHistogram(v: ShardView, gradOffset: number, leaf: number, usableCount: number): void {
  const { bins, g, h, indices, hist, og, oh, usable, offsets, numBins } = v;
  const C = offsets.length;
  const begin = v.leafBegin[leaf];
  const count = v.leafCount[leaf];
  if (v.kernel) {
    const { wHist, wCnt, wCols } = v;
    for (let k = 0; k < usableCount; k++) {
      const c = usable[k];
      wHist.fill(0, offsets[c] * 2, (offsets[c] + numBins[c]) * 2);
      wCnt.fill(0, offsets[c], offsets[c] + numBins[c]);
      wCols[k] = c;
      wCols[C + k] = offsets[c];
    }
    const at = v.kernelAt;
    const T = v.totalBins;
    v.kernel(v.pIdx + begin * 4, count, v.pG + gradOffset * 4, v.pH + gradOffset * 4, v.pBins, C, at + T * 20, at + T * 20 + C * 4, usableCount, at, at + T * 16);
    for (let k = 0; k < usableCount; k++) {
      const c = usable[k];
      const end = offsets[c] + numBins[c];
      for (let t = offsets[c]; t < end; t++) {
        hist[t * 3] = wHist[t * 2];
        hist[t * 3 + 1] = wHist[t * 2 + 1];
        hist[t * 3 + 2] = wCnt[t];
      }
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const r = gradOffset + indices[begin + i];
    og[i] = g[r];
    oh[i] = h[r];
  }
  for (let k = 0; k < usableCount; k++) hist.fill(0, offsets[usable[k]] * 3, (offsets[usable[k]] + numBins[usable[k]]) * 3);
  for (let i = 0; i < count; i++) {
    const row = indices[begin + i] * C;
    const gi = og[i];
    const hi = oh[i];
    for (let k = 0; k < usableCount; k++) {
      const c = usable[k];
      const x = (offsets[c] + bins[row + c]) * 3;
      hist[x] += gi;
      hist[x + 1] += hi;
      hist[x + 2]++;
    }
  }
}

/** A new tree: this shard's rows of the bag (all of them without bagging) become leaf 0, and its histogram. */
export function shardRoot(v: ShardView, gradOffset: number, bagging: number, usableCount: number): void {
  let m = 0;
  for (let b = v.shard; b * v.block < v.n; b += v.shards) {
    const end = Math.min(v.n, (b + 1) * v.block);
    for (let r = b * v.block; r < end; r++) {
      if (bagging === 0 || v.inBag[r] === 1) v.indices[v.start + m++] = r;
    }
  }
  v.leafBegin[0] = v.start;
  v.leafCount[0] = m;
  shardHistogram(v, gradOffset, 0, usableCount);
  let G = 0;
  let H = 0;
  if (bagging === 0) {
    // every row of the shard, in the order of its indices: the same sums, without gathering
    for (let b = v.shard; b * v.block < v.n; b += v.shards) {
      const end = gradOffset + Math.min(v.n, (b + 1) * v.block);
      for (let r = gradOffset + b * v.block; r < end; r++) {
        G += v.g[r];
        H += v.h[r];
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      const r = gradOffset + v.indices[v.start + i];
      G += v.g[r];
      H += v.h[r];
    }
  }
  v.sums[0] = G;
  v.sums[1] = H;
  v.sums[2] = m;
}

/**
 * Splits this shard's rows of `leaf` by `goesLeft` on a binned column: the left ones stay `leaf`, the
 * right ones become `newLeaf`, both in row order. Then builds the histogram of the child the main thread
 * chose (the smaller one overall; the other is derived by subtraction), or none.
 */
export function shardSplit(v: ShardView, leaf: number, newLeaf: number, column: number, build: number, gradOffset: number, usableCount: number): void {
  const { indices, bins, goesLeft, scratch } = v;
  const start = v.leafBegin[leaf];
  const end = start + v.leafCount[leaf];
  const C = v.offsets.length;
  let nl = 0;
  let nr = 0;
  if (v.partition) {
    nl = v.partition(v.pIdx + start * 4, end - start, v.pBins, C, column, v.pLut, v.kernelAt + v.totalBins * 20 + C * 8);
    nr = end - start - nl;
  } else {
  // branch-free: a split sends rows either way unpredictably; writing both and advancing one is cheaper
  for (let i = start; i < end; i++) {
    const row = indices[i];
    const left = goesLeft[bins[row * C + column]];
    indices[start + nl] = row;
    scratch[nr] = row;
    nl += left;
    nr += 1 - left;
  }
  indices.set(scratch.subarray(0, nr), start + nl);
  }
  v.leafCount[leaf] = nl;
  v.leafBegin[newLeaf] = start + nl;
  v.leafCount[newLeaf] = nr;
  if (build === 1) shardHistogram(v, gradOffset, leaf, usableCount);
  else if (build === 2) shardHistogram(v, gradOffset, newLeaf, usableCount);
}

/**
 * Adds the tree just grown to this shard's scores: to its training rows by the partition (each leaf's
 * run), to its validation rows by sending them through the tree (`*Offset`: the tree's class).
 */
export function shardAddTree(v: ShardView, scoreOffset: number, valOffset: number, numLeaves: number, numNodes: number): void {
  const { indices, scores, leafValue, valX, valScores, width } = v;
  for (let l = 0; l < numLeaves; l++) {
    const value = leafValue[l];
    const end = v.leafBegin[l] + v.leafCount[l];
    for (let i = v.leafBegin[l]; i < end; i++) scores[scoreOffset + indices[i]] += value;
  }
  const { treeFeature: feature, treeThreshold: threshold, treeDefaultLeft: defaultLeft, treeLeft: left, treeRight: right } = v;
  if (v.valBins.length > 0) {
    // the split's own table sends a row's bin the way its training rows went
    const { valBins, treeColumn, treeLut } = v;
    const C = v.offsets.length;
    for (let b = v.shard; b * v.block < v.valN; b += v.shards) {
      const end = Math.min(v.valN, (b + 1) * v.block);
      for (let i = b * v.block; i < end; i++) {
        let node = numNodes > 0 ? 0 : -1;
        while (node >= 0) node = treeLut[node * 256 + valBins[i * C + treeColumn[node]]] === 1 ? left[node] : right[node];
        valScores[valOffset + i] += leafValue[~node];
      }
    }
    return;
  }
  for (let b = v.shard; b * v.block < v.valN; b += v.shards) {
    const end = Math.min(v.valN, (b + 1) * v.block);
    for (let i = b * v.block; i < end; i++) {
      let node = numNodes > 0 ? 0 : -1;
      while (node >= 0) {
        const x = valX[i * width + feature[node]];
        node = x <= threshold[node] || (x !== x && defaultLeft[node] === 1) ? left[node] : right[node];
      }
      valScores[valOffset + i] += leafValue[~node];
    }
  }
}

/**
 * The loss of row i of class-major raw scores [K × n]: binary logloss, multi logloss (capped at
 * −log 1e-15, as LightGBM's metric is) or squared error.
 */
export function rowLoss(objective: number, scores: Float64Array, y: Float32Array, n: number, K: number, i: number): number {
  if (objective === 0) {
    const z = scores[i];
    // log(1 + e^z) − y·z without overflow
    return Math.max(z, 0) - y[i] * z + Math.log1p(Math.exp(-Math.abs(z)));
  }
  if (objective === 1) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, scores[k * n + i]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(scores[k * n + i] - max);
    // −log 1e-15: LightGBM's multi_logloss clips probabilities there
    const cap = 34.538776394910684;
    return Math.min(cap, Math.log(sum) - (scores[y[i] * n + i] - max));
  }
  return (scores[i] - y[i]) ** 2;
}

/** sums[3] := the summed loss of this shard's validation rows. */
export function shardValidationLoss(v: ShardView): void {
  let sum = 0;
  for (let b = v.shard; b * v.block < v.valN; b += v.shards) {
    const end = Math.min(v.valN, (b + 1) * v.block);
    for (let i = b * v.block; i < end; i++) sum += rowLoss(v.objective, v.valScores, v.valY, v.valN, v.numClass, i);
  }
  v.sums[3] = sum;
}

/**
 * What ends a boosting round, in one meeting of the threads: sums[3] := the validation loss summed over
 * this shard's validation rows, sums[4] := the training loss summed over its share of `lossRows`
 * training rows spread evenly (row i when i·lossRows mod n < lossRows), and, when `gradients` is 1, the
 * next round's gradients, which the training loss shares its exponential with.
 */
export function shardEndRound(v: ShardView, gradients: number, lossRows: number): void {
  shardValidationLoss(v);
  const { n, scores, y, g, h, scalePosWeight } = v;
  const m = Math.min(lossRows, n);
  let loss = 0;
  if (v.objective === 0 && gradients === 1 && v.binaryGradients) {
    for (let b = v.shard; b * v.block < n; b += v.shards) {
      const start = b * v.block;
      loss += v.binaryGradients(v.pScores, v.pY, v.pG, v.pH, start, Math.min(n, start + v.block), scalePosWeight, (start * m) % n, m, n);
    }
  } else if (v.objective === 0 && gradients === 1) {
    for (let b = v.shard; b * v.block < n; b += v.shards) {
      const start = b * v.block;
      const end = Math.min(n, start + v.block);
      let acc = (start * m) % n;
      for (let i = start; i < end; i++) {
        const z = scores[i];
        const e = Math.exp(-z);
        const p = 1 / (1 + e);
        const w = y[i] > 0 ? scalePosWeight : 1;
        g[i] = (p - y[i]) * w;
        // a hessian of exactly 0 would divide by zero with lambda_l2 = 0; LightGBM floors it the same way
        h[i] = Math.max(p * (1 - p), 1e-16) * w;
        if (acc < m) loss += Math.max(z, 0) - y[i] * z + Math.log1p(z >= 0 ? e : 1 / e);
        acc += m;
        if (acc >= n) acc -= n;
      }
    }
  } else {
    for (let b = v.shard; b * v.block < n; b += v.shards) {
      const start = b * v.block;
      const end = Math.min(n, start + v.block);
      let acc = (start * m) % n;
      for (let i = start; i < end; i++) {
        if (acc < m) loss += rowLoss(v.objective, scores, y, n, v.numClass, i);
        acc += m;
        if (acc >= n) acc -= n;
      }
    }
    if (gradients === 1) shardGradients(v);
  }
  v.sums[4] = loss;
}

/** The operations a worker runs, by code. */
export const SHARD_OPS = { gradients: 1, root: 2, split: 3, addTree: 4, validationLoss: 5, endRound: 6 } as const;

/**
 * Control words of a worker: a task is handed out by bumping SEQ; -1 there ends the worker. A thread
 * waiting for the other polls for `spin` rounds before it sleeps: the next split's task usually comes
 * within tens of microseconds, and waking from Atomics.wait costs about as much again.
 */
export const CONTROL = { seq: 0, done: 1, op: 2, args: 3, words: 10, spin: 20_000 } as const;

export interface ShardWorkerData {
  view: ShardView;
  /** Rows of this shard: the size of its private buffers. */
  rows: number;
  control: Int32Array;
  ops: typeof SHARD_OPS;
  layout: typeof CONTROL;
  /** Where the worker leaves an error's message, for the main thread to read synchronously. */
  errors: import('node:worker_threads').MessagePort;
}

/** A worker's whole program: wait for a task, run it on its shard, say it is done (or failed). */
export function shardWorker(data: ShardWorkerData): void {
  const { view: v, control, ops, layout, errors } = data;
  // private to this thread, so allocated here rather than sent
  const kernel = !!v.memory && !!v.kernelModule;
  // the JS histogram loop gathers gradients here; the kernel reads them in place
  v.og = new Float32Array(kernel ? 0 : data.rows);
  v.oh = new Float32Array(kernel ? 0 : data.rows);
  v.scratch = new Uint32Array(kernel ? 0 : data.rows);
  shardKernel(v);
  let seen = 0;
  for (;;) {
    for (let k = 0; k < layout.spin && Atomics.load(control, layout.seq) === seen; k++);
    // a wake-up is no new task: the main thread can be preempted between storing SEQ and notifying,
    // so its notify may arrive after this thread already ran that task and went back to sleep; running
    // it again would race the main thread's next steps (a split done twice loses the right child's rows)
    let seq = Atomics.load(control, layout.seq);
    while (seq === seen) {
      Atomics.wait(control, layout.seq, seen);
      seq = Atomics.load(control, layout.seq);
    }
    if (seq < 0) return;
    seen = seq;
    const a = layout.args;
    try {
      const op = control[layout.op];
      if (op === ops.gradients) shardGradients(v);
      else if (op === ops.root) shardRoot(v, control[a], control[a + 1], control[a + 2]);
      else if (op === ops.split) shardSplit(v, control[a], control[a + 1], control[a + 2], control[a + 3], control[a + 4], control[a + 5]);
      else if (op === ops.addTree) shardAddTree(v, control[a], control[a + 1], control[a + 2], control[a + 3]);
      else if (op === ops.validationLoss) shardValidationLoss(v);
      else if (op === ops.endRound) shardEndRound(v, control[a], control[a + 1]);
      else throw new Error(`unknown shard operation ${op}`);
      Atomics.store(control, layout.done, seq);
    } catch (err) {
      errors.postMessage(String((err as Error)?.stack ?? err));
      Atomics.store(control, layout.done, -seq);
    }
    Atomics.notify(control, layout.done);
  }
}

/** Every function a worker runs, for its source text (shards.ts): each may call only these and globals. */
export const WORKER_FUNCTIONS = [shardKernel, shardGradients, shardHistogram, shardRoot, shardSplit, shardAddTree, rowLoss, shardValidationLoss, shardEndRound, shardWorker];
