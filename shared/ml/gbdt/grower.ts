import { ONE_HOT_THRESHOLD, type BinnedColumn } from './binning';
import { subtractHistogram, type HistogramBuilder, type HistogramInputs, type HistogramTask } from './histogram';
import { findBestSplit, noSplit, type ColumnKinds, type SplitCandidate, type SplitRules } from './split';
import type { Tree } from './tree';

/**
 * Leaf-wise growth of one tree, as LightGBM grows them: always split the leaf whose best split gains the
 * most, until `numLeaves`. Each leaf's rows are a run of one index array, partitioned in place (stably,
 * so runs stay ascending and reads stay sequential). Only the smaller child of a split gets its
 * histogram built from rows; the larger one's is the parent's minus the smaller's.
 */
export interface GrowerOptions extends SplitRules {
  numLeaves: number;
  /** -1: no limit. */
  maxDepth: number;
  learningRate: number;
}

export class TreeGrower {
  private readonly scratch: Uint32Array;
  private readonly kinds: ColumnKinds;
  private readonly slotViews: Float64Array[];
  private readonly freeSlots: number[] = [];
  private readonly goesLeft = new Uint8Array(256);
  private readonly task: HistogramTask = { gradOffset: 0, begin: 0, count: 0, slot: 0 };
  // per leaf, for the tree being grown
  private readonly begin: Int32Array;
  private readonly count: Int32Array;
  private readonly sumG: Float64Array;
  private readonly sumH: Float64Array;
  private readonly depth: Int32Array;
  private readonly slot: Int32Array;
  private readonly parentNode: Int32Array;
  private readonly isRight: Uint8Array;
  private readonly best: SplitCandidate[];
  private numLeaves = 0;

  constructor(
    private readonly input: HistogramInputs,
    private readonly columns: BinnedColumn[],
    private readonly histograms: HistogramBuilder,
    private readonly opts: GrowerOptions,
  ) {
    const L = opts.numLeaves;
    this.scratch = new Uint32Array(input.n);
    this.kinds = {
      oneHot: Uint8Array.from(columns, (c) => (c.kind === 'onehot' ? 1 : 0)),
      missingBin: Int32Array.from(columns, (c) => (c.kind === 'numeric' ? c.missingBin : -1)),
    };
    const stride = input.layout.totalBins * 3;
    if (input.pool.length < L * stride) throw new RangeError(`the histogram pool holds ${input.pool.length / stride} slots, ${L} needed`);
    this.slotViews = Array.from({ length: L }, (_, s) => input.pool.subarray(s * stride, (s + 1) * stride));
    this.begin = new Int32Array(L);
    this.count = new Int32Array(L);
    this.sumG = new Float64Array(L);
    this.sumH = new Float64Array(L);
    this.depth = new Int32Array(L);
    this.slot = new Int32Array(L);
    this.parentNode = new Int32Array(L);
    this.isRight = new Uint8Array(L);
    this.best = Array.from({ length: L }, noSplit);
  }

  /**
   * Grows a tree on the gradients of class slice `gradOffset`, over the rows of `bag` (ascending; null:
   * all rows), splitting only on the `usable` binned columns.
   */
  grow(gradOffset: number, bag: Uint32Array | null, usable: Int32Array): Tree {
    const { g, h, indices, n } = this.input;
    const L = this.opts.numLeaves;
    const tree: Tree = {
      feature: new Int32Array(L - 1),
      threshold: new Float64Array(L - 1),
      defaultLeft: new Uint8Array(L - 1),
      left: new Int32Array(L - 1),
      right: new Int32Array(L - 1),
      gain: new Float64Array(L - 1),
      leafValue: new Float64Array(L),
    };
    const rows = bag ? bag.length : n;
    if (bag) indices.set(bag);
    else for (let i = 0; i < n; i++) indices[i] = i;
    let G = 0;
    let H = 0;
    for (let i = 0; i < rows; i++) {
      const r = gradOffset + indices[i];
      G += g[r];
      H += h[r];
    }
    this.freeSlots.length = 0;
    for (let s = L - 1; s >= 0; s--) this.freeSlots.push(s);
    this.numLeaves = 1;
    this.setLeaf(0, 0, rows, G, H, 0, -1, 0);
    this.slot[0] = this.freeSlots.pop()!;
    this.buildRows(gradOffset, 0, usable);
    this.evaluate(0, usable);

    let nodes = 0;
    while (this.numLeaves < L) {
      let leaf = -1;
      for (let l = 0; l < this.numLeaves; l++) if (this.best[l].gain > (leaf < 0 ? -Infinity : this.best[leaf].gain)) leaf = l;
      if (leaf < 0) break;
      this.split(tree, nodes++, leaf, gradOffset, usable);
    }
    for (let l = 0; l < this.numLeaves; l++) {
      tree.leafValue[l] = (-this.sumG[l] / (this.sumH[l] + this.opts.lambdaL2)) * this.opts.learningRate;
    }
    return {
      feature: tree.feature.slice(0, nodes),
      threshold: tree.threshold.slice(0, nodes),
      defaultLeft: tree.defaultLeft.slice(0, nodes),
      left: tree.left.slice(0, nodes),
      right: tree.right.slice(0, nodes),
      gain: tree.gain.slice(0, nodes),
      leafValue: tree.leafValue.slice(0, this.numLeaves),
    };
  }

  /** Adds the last grown tree's leaf values to the scores of the rows it was grown on. */
  addToScores(tree: Tree, scores: Float64Array, offset: number): void {
    const { indices } = this.input;
    for (let l = 0; l < this.numLeaves; l++) {
      const value = tree.leafValue[l];
      const end = this.begin[l] + this.count[l];
      for (let i = this.begin[l]; i < end; i++) scores[offset + indices[i]] += value;
    }
  }

  private setLeaf(l: number, begin: number, count: number, G: number, H: number, depth: number, parent: number, right: number): void {
    this.begin[l] = begin;
    this.count[l] = count;
    this.sumG[l] = G;
    this.sumH[l] = H;
    this.depth[l] = depth;
    this.parentNode[l] = parent;
    this.isRight[l] = right;
  }

  private canSplit(l: number): boolean {
    const { minDataInLeaf, minSumHessianInLeaf, maxDepth } = this.opts;
    return this.count[l] >= 2 * minDataInLeaf && this.sumH[l] >= 2 * minSumHessianInLeaf && (maxDepth < 0 || this.depth[l] < maxDepth);
  }

  private buildRows(gradOffset: number, l: number, usable: Int32Array): void {
    const task = this.task;
    task.gradOffset = gradOffset;
    task.begin = this.begin[l];
    task.count = this.count[l];
    task.slot = this.slot[l];
    this.histograms.build(task, usable);
  }

  private evaluate(l: number, usable: Int32Array): void {
    if (!this.canSplit(l)) {
      this.best[l].gain = -Infinity;
      return;
    }
    const totals = { G: this.sumG[l], H: this.sumH[l], count: this.count[l] };
    findBestSplit(this.slotViews[this.slot[l]], this.input.layout, this.kinds, usable, totals, this.opts, this.best[l]);
  }

  private split(tree: Tree, node: number, l: number, gradOffset: number, usable: Int32Array): void {
    const best = this.best[l];
    const column = this.columns[best.column];
    const lut = this.goesLeft;
    if (column.kind === 'numeric') {
      tree.feature[node] = column.column;
      tree.threshold[node] = column.upper[best.bin];
      for (let b = 0; b < column.numBins; b++) lut[b] = b === column.missingBin ? (best.defaultLeft ? 1 : 0) : b <= best.bin ? 1 : 0;
    } else {
      tree.feature[node] = column.columns[best.bin - 1];
      tree.threshold[node] = ONE_HOT_THRESHOLD;
      for (let b = 0; b < column.numBins; b++) lut[b] = b === best.bin ? 0 : 1;
    }
    tree.defaultLeft[node] = best.defaultLeft ? 1 : 0;
    tree.gain[node] = best.gain;
    const parent = this.parentNode[l];
    if (parent >= 0) (this.isRight[l] ? tree.right : tree.left)[parent] = node;
    const r = this.numLeaves++;
    tree.left[node] = ~l;
    tree.right[node] = ~r;

    const { indices, bins, n } = this.input;
    const scratch = this.scratch;
    const start = this.begin[l];
    const end = start + this.count[l];
    const col = best.column * n;
    let nl = 0;
    let nr = 0;
    // branch-free: a split sends rows either way unpredictably; writing both and advancing one is cheaper
    for (let i = start; i < end; i++) {
      const row = indices[i];
      const left = lut[bins[col + row]];
      indices[start + nl] = row;
      scratch[nr] = row;
      nl += left;
      nr += 1 - left;
    }
    indices.set(scratch.subarray(0, nr), start + nl);

    const depth = this.depth[l] + 1;
    const parentSlot = this.slot[l];
    this.setLeaf(r, start + nl, nr, this.sumG[l] - best.leftG, this.sumH[l] - best.leftH, depth, node, 1);
    this.setLeaf(l, start, nl, best.leftG, best.leftH, depth, node, 0);
    if (!this.canSplit(l) && !this.canSplit(r)) {
      this.freeSlots.push(parentSlot);
      this.slot[l] = this.slot[r] = -1;
      this.best[l].gain = this.best[r].gain = -Infinity;
      return;
    }
    const [small, large] = nl <= nr ? [l, r] : [r, l];
    this.slot[small] = this.freeSlots.pop()!;
    this.slot[large] = parentSlot;
    this.buildRows(gradOffset, small, usable);
    subtractHistogram(this.input.pool, this.input.layout, parentSlot, this.slot[small], usable);
    for (const child of [l, r]) {
      this.evaluate(child, usable);
      if (this.best[child].gain === -Infinity) {
        this.freeSlots.push(this.slot[child]);
        this.slot[child] = -1;
      }
    }
  }
}
