import { ONE_HOT_THRESHOLD, type BinnedColumn } from './binning';
import { subtractHistogram, type HistogramLayout } from './histogram';
import type { Shards } from './shards';
import { findBestSplit, noSplit, type ColumnKinds, type SplitCandidate, type SplitFinder, type SplitRules } from './split';
import type { Tree } from './tree';

/**
 * Leaf-wise growth of one tree, as LightGBM grows them: always split the leaf whose best split gains the
 * most, until `numLeaves`. The shards partition the rows and build histograms; this thread sums their
 * histograms, finds the splits and keeps the tree. Only the smaller child of a split gets its histogram
 * built from rows; the larger one's is the parent's minus the smaller's.
 */
export interface GrowerOptions extends SplitRules {
  numLeaves: number;
  /** -1: no limit. */
  maxDepth: number;
  learningRate: number;
  /** How a leaf's split is chosen from its histogram: the best one unless said (a random forest samples features). */
  chooseSplit?: SplitFinder;
}

/** Histogram slots allocated up front; more as deep trees need them, up to one per leaf. */
const INITIAL_SLOTS = 64;

export class TreeGrower {
  private readonly kinds: ColumnKinds;
  /** One histogram slot per leaf at most, for the leaves that may still split; grown on demand. */
  private pool: Float64Array;
  private slotViews: Float64Array[] = [];
  private readonly chooseSplit: SplitFinder;
  private readonly freeSlots: number[] = [];
  // per leaf, for the tree being grown
  private readonly count: Float64Array;
  private readonly sumG: Float64Array;
  private readonly sumH: Float64Array;
  private readonly depth: Int32Array;
  private readonly slot: Int32Array;
  private readonly parentNode: Int32Array;
  private readonly isRight: Uint8Array;
  private readonly best: SplitCandidate[];
  private numLeaves = 0;
  private usableCount = 0;

  constructor(
    private readonly shards: Shards,
    private readonly columns: BinnedColumn[],
    private readonly layout: HistogramLayout,
    private readonly opts: GrowerOptions,
  ) {
    const L = opts.numLeaves;
    const stride = layout.totalBins * 3;
    this.kinds = {
      oneHot: Uint8Array.from(columns, (c) => (c.kind === 'onehot' ? 1 : 0)),
      missingBin: Int32Array.from(columns, (c) => (c.kind === 'numeric' ? c.missingBin : -1)),
    };
    this.pool = new Float64Array(0);
    this.addSlots(Math.min(L, INITIAL_SLOTS));
    this.chooseSplit = opts.chooseSplit ?? findBestSplit;
    this.count = new Float64Array(L);
    this.sumG = new Float64Array(L);
    this.sumH = new Float64Array(L);
    this.depth = new Int32Array(L);
    this.slot = new Int32Array(L);
    this.parentNode = new Int32Array(L);
    this.isRight = new Uint8Array(L);
    this.best = Array.from({ length: L }, noSplit);
  }

  /**
   * Grows a tree of class k on its gradients, over the bag's rows (all rows without bagging), splitting
   * only on the `usable` binned columns; then adds it to the shards' training and validation scores.
   */
  grow(k: number, bagging: boolean, usable: Int32Array): Tree {
    const gradOffset = k * this.shards.views[0].n;
    const L = this.opts.numLeaves;
    const tree: Tree = {
      feature: new Int32Array(L - 1),
      threshold: new Float64Array(L - 1),
      defaultLeft: new Uint8Array(L - 1),
      left: new Int32Array(L - 1),
      right: new Int32Array(L - 1),
      gain: new Float64Array(L - 1),
      leafValue: new Float64Array(L),
      cover: new Float64Array(L - 1),
      leafCover: new Float64Array(L),
    };
    const shared = this.shards.views[0];
    shared.usable.set(usable);
    this.usableCount = usable.length;
    this.freeSlots.length = 0;
    for (let s = this.slotViews.length - 1; s >= 0; s--) this.freeSlots.push(s);
    this.numLeaves = 1;
    this.slot[0] = this.takeSlot();
    this.shards.root(gradOffset, bagging, usable.length);
    this.gatherHistogram(0);
    const { G, H, count } = this.shards.rootTotals();
    this.setLeaf(0, count, G, H, 0, -1, 0);
    this.evaluate(0);

    let nodes = 0;
    while (this.numLeaves < L) {
      let leaf = -1;
      for (let l = 0; l < this.numLeaves; l++) if (this.best[l].gain > (leaf < 0 ? -Infinity : this.best[leaf].gain)) leaf = l;
      if (leaf < 0) break;
      this.split(tree, nodes++, leaf, gradOffset);
    }
    for (let l = 0; l < this.numLeaves; l++) {
      tree.leafValue[l] = (-this.sumG[l] / (this.sumH[l] + this.opts.lambdaL2)) * this.opts.learningRate;
      tree.leafCover![l] = this.count[l];
    }
    const grown: Tree = {
      feature: tree.feature.slice(0, nodes),
      threshold: tree.threshold.slice(0, nodes),
      defaultLeft: tree.defaultLeft.slice(0, nodes),
      left: tree.left.slice(0, nodes),
      right: tree.right.slice(0, nodes),
      gain: tree.gain.slice(0, nodes),
      leafValue: tree.leafValue.slice(0, this.numLeaves),
      cover: tree.cover!.slice(0, nodes),
      leafCover: tree.leafCover!.slice(0, this.numLeaves),
    };
    shared.treeFeature.set(grown.feature);
    shared.treeThreshold.set(grown.threshold);
    shared.treeDefaultLeft.set(grown.defaultLeft);
    shared.treeLeft.set(grown.left);
    shared.treeRight.set(grown.right);
    shared.leafValue.set(grown.leafValue);
    this.shards.addTree(gradOffset, k * shared.valN, this.numLeaves, nodes);
    return grown;
  }

  /** A free histogram slot; when none is left, the pool doubles (its slots keep their contents). */
  private takeSlot(): number {
    if (this.freeSlots.length === 0) {
      const had = this.slotViews.length;
      this.addSlots(Math.min(this.opts.numLeaves, 2 * had));
      for (let s = this.slotViews.length - 1; s >= had; s--) this.freeSlots.push(s);
    }
    return this.freeSlots.pop()!;
  }

  private addSlots(total: number): void {
    const stride = this.layout.totalBins * 3;
    const grown = new Float64Array(total * stride);
    grown.set(this.pool);
    this.pool = grown;
    this.slotViews = Array.from({ length: total }, (_, s) => grown.subarray(s * stride, (s + 1) * stride));
  }

  /** The shards' histograms of the leaf just built, summed into the leaf's slot. */
  private gatherHistogram(l: number): void {
    const { offsets, numBins, totalBins } = this.layout;
    const usable = this.shards.views[0].usable;
    const slotStart = this.slot[l] * totalBins * 3;
    for (let k = 0; k < this.usableCount; k++) {
      const c = usable[k];
      this.shards.sumHistograms(this.pool, slotStart, offsets[c] * 3, (offsets[c] + numBins[c]) * 3);
    }
  }

  private setLeaf(l: number, count: number, G: number, H: number, depth: number, parent: number, right: number): void {
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

  private evaluate(l: number): void {
    if (!this.canSplit(l)) {
      this.best[l].gain = -Infinity;
      return;
    }
    const totals = { G: this.sumG[l], H: this.sumH[l], count: this.count[l] };
    const usable = this.shards.views[0].usable.subarray(0, this.usableCount);
    this.chooseSplit(this.slotViews[this.slot[l]], this.layout, this.kinds, usable, totals, this.opts, this.best[l]);
  }

  private split(tree: Tree, node: number, l: number, gradOffset: number): void {
    const best = this.best[l];
    const column = this.columns[best.column];
    const lut = this.shards.views[0].goesLeft;
    if (column.kind === 'numeric') {
      tree.feature[node] = column.column;
      tree.threshold[node] = best.threshold === best.threshold ? best.threshold : column.upper[best.bin];
      for (let b = 0; b < column.numBins; b++) lut[b] = b === column.missingBin ? (best.defaultLeft ? 1 : 0) : b <= best.bin ? 1 : 0;
    } else {
      tree.feature[node] = column.columns[best.bin - 1];
      tree.threshold[node] = ONE_HOT_THRESHOLD;
      for (let b = 0; b < column.numBins; b++) lut[b] = b === best.bin ? 0 : 1;
    }
    // the validation rows go by bins, as the training rows are partitioned
    this.shards.views[0].treeColumn[node] = best.column;
    this.shards.views[0].treeLut.set(lut, node * 256);
    tree.defaultLeft[node] = best.defaultLeft ? 1 : 0;
    tree.gain[node] = best.gain;
    tree.cover![node] = this.count[l];
    const parent = this.parentNode[l];
    if (parent >= 0) (this.isRight[l] ? tree.right : tree.left)[parent] = node;
    const r = this.numLeaves++;
    tree.left[node] = ~l;
    tree.right[node] = ~r;

    const depth = this.depth[l] + 1;
    const parentSlot = this.slot[l];
    const leftCount = best.leftCount;
    const rightCount = this.count[l] - leftCount;
    this.setLeaf(r, rightCount, this.sumG[l] - best.leftG, this.sumH[l] - best.leftH, depth, node, 1);
    this.setLeaf(l, leftCount, best.leftG, best.leftH, depth, node, 0);
    if (!this.canSplit(l) && !this.canSplit(r)) {
      // the rows are still partitioned, for the scores; no histogram is needed any more
      this.shards.split(l, r, best.column, 0, gradOffset, this.usableCount);
      this.freeSlots.push(parentSlot);
      this.slot[l] = this.slot[r] = -1;
      this.best[l].gain = this.best[r].gain = -Infinity;
      return;
    }
    const [small, large] = leftCount <= rightCount ? [l, r] : [r, l];
    this.slot[small] = this.takeSlot();
    this.slot[large] = parentSlot;
    this.shards.split(l, r, best.column, small === l ? 1 : 2, gradOffset, this.usableCount);
    this.gatherHistogram(small);
    const usable = this.shards.views[0].usable.subarray(0, this.usableCount);
    subtractHistogram(this.pool, this.layout, parentSlot, this.slot[small], usable);
    for (const child of [l, r]) {
      this.evaluate(child);
      if (this.best[child].gain === -Infinity) {
        this.freeSlots.push(this.slot[child]);
        this.slot[child] = -1;
      }
    }
  }
}
