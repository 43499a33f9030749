import { readFileSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../../../../shared/data/random';
import { HISTOGRAM_KERNEL_WASM } from '../../../../../shared/ml/models/gbdt/histogram_kernel_wasm';
import { histogramKernelModule, KernelArena } from '../../../../../shared/ml/models/gbdt/histogram_kernel';
import { kernelScratchBytes, shardEndRound, shardGradients, shardHistogram, shardKernel, shardSplit, type ShardView } from '../../../../../shared/ml/models/gbdt/shard_ops';

describe('gbdt histogram kernel', () => {
  it('is the compiled text of histogram_kernel.wat (run scripts/build_histogram_kernel.mjs after editing it)', async () => {
    const wabt = await (await import('wabt')).default();
    const source = readFileSync(path.join(__dirname, '../../../../../shared/ml/models/gbdt/histogram_kernel.wat'), 'utf8');
    const { buffer } = wabt.parseWat('histogram_kernel.wat', source, { simd: true, threads: true, bulk_memory: true }).toBinary({});
    expect(Buffer.from(buffer).toString('base64')).toBe(HISTOGRAM_KERNEL_WASM);
  });

  it('builds the histogram the JavaScript loop builds, over a leaf of scattered rows and some of the columns', () => {
    const random = seededRandom(7);
    const n = 5000;
    const numBins = Int32Array.of(255, 3, 40, 2, 17);
    const C = numBins.length;
    const offsets = new Int32Array(C);
    for (let j = 1; j < C; j++) offsets[j] = offsets[j - 1] + numBins[j - 1];
    const totalBins = offsets[C - 1] + numBins[C - 1];
    const scratchBytes = kernelScratchBytes(totalBins, C, n);
    const arena = KernelArena.forRegions([n * C, n * 4, n * 4, n * 4, 256, scratchBytes])!;
    expect(arena).not.toBeNull();
    const [bins, pBins] = arena.view(Uint8Array, n * C);
    const [g, pG] = arena.view(Float32Array, n);
    const [h, pH] = arena.view(Float32Array, n);
    const [indices, pIdx] = arena.view(Uint32Array, n);
    const [goesLeft, pLut] = arena.view(Uint8Array, 256);
    const pScratch = arena.take(scratchBytes);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < C; j++) bins[i * C + j] = random.int(numBins[j]);
      g[i] = random.next() - 0.5;
      h[i] = random.next();
    }
    // a leaf of every third row, from row 10
    let count = 0;
    for (let r = 10; r < n; r += 3) indices[100 + count++] = r;
    const usable = Int32Array.of(0, 2, 4, 1);
    const view = (kernel: boolean): ShardView =>
      ({
        n, bins, g, h, indices, offsets, numBins, totalBins, usable,
        leafBegin: Int32Array.of(100, 0), leafCount: Int32Array.of(count, 0), goesLeft, scratch: new Uint32Array(n),
        hist: new Float64Array(totalBins * 3).fill(NaN),
        og: new Float32Array(n), oh: new Float32Array(n),
        memory: kernel ? arena.memory : null, kernelModule: kernel ? histogramKernelModule() : null,
        pBins, pLut, pG, pH, pIdx, pScratch, scratchBytes, shard: 0, kernel: null, partition: null,
      }) as unknown as ShardView;
    const js = view(false);
    const wasm = view(true);
    shardKernel(wasm);
    expect(wasm.kernel).not.toBeNull();
    shardHistogram(js, 0, 0, usable.length);
    shardHistogram(wasm, 0, 0, usable.length);
    for (const c of usable) {
      const from = offsets[c] * 3;
      const to = (offsets[c] + numBins[c]) * 3;
      expect(Array.from(wasm.hist.subarray(from, to))).toEqual(Array.from(js.hist.subarray(from, to)));
      // every row of the leaf is in some bin of each column
      let rows = 0;
      for (let t = from + 2; t < to; t += 3) rows += wasm.hist[t];
      expect(rows).toBe(count);
    }
    // column 3 was not usable: left as it was
    expect(Number.isNaN(wasm.hist[offsets[3] * 3])).toBe(true);
    // an odd number of columns (the kernel takes them two at a time): the first three of usable
    shardHistogram(js, 0, 0, 3);
    shardHistogram(wasm, 0, 0, 3);
    for (const c of usable.subarray(0, 3)) {
      const from = offsets[c] * 3;
      const to = (offsets[c] + numBins[c]) * 3;
      expect(Array.from(wasm.hist.subarray(from, to))).toEqual(Array.from(js.hist.subarray(from, to)));
    }

    // the partition on column 2: bins below 15 go left; each side keeps the rows' order
    for (let b = 0; b < 256; b++) goesLeft[b] = b < 15 ? 1 : 0;
    const before = indices.slice();
    shardSplit(js, 0, 1, 2, 0, 0, usable.length);
    const byJs = { rows: indices.slice(), left: js.leafCount[0], right: js.leafCount[1], at: js.leafBegin[1] };
    indices.set(before);
    shardSplit(wasm, 0, 1, 2, 0, 0, usable.length);
    expect({ rows: indices.slice(), left: wasm.leafCount[0], right: wasm.leafCount[1], at: wasm.leafBegin[1] }).toEqual(byJs);
    const leftRows = Array.from(indices.subarray(100, 100 + byJs.left));
    expect(leftRows.every((r) => bins[r * C + 2] < 15)).toBe(true);
    expect(leftRows).toEqual([...leftRows].sort((a, b) => a - b));
    expect(byJs.left).toBeGreaterThan(0);
    expect(byJs.right).toBeGreaterThan(0);
  });

  it("computes the binary logloss's gradients bit for bit as JavaScript's Math.exp does, and the same sampled loss", () => {
    const random = seededRandom(11);
    // an odd count per block and overall: the kernel's last row of a range goes alone
    const n = 200_001;
    const block = 4095;
    const arena = KernelArena.forRegions([n * 8, n * 4, n * 4, n * 4, 16, kernelScratchBytes(1, 1, 1)])!;
    const [scores, pScores] = arena.view(Float64Array, n);
    const [y, pY] = arena.view(Float32Array, n);
    const [g, pG] = arena.view(Float32Array, n);
    const [h, pH] = arena.view(Float32Array, n);
    for (let i = 0; i < n; i++) {
      // mostly ordinary raw scores, some far out where e^z over- or underflows
      scores[i] = (random.next() - 0.5) * (i % 97 === 0 ? 1600 : 40);
      y[i] = random.next() < 0.2 ? 1 : 0;
    }
    scores.set([0, -0, NaN, 709.7, -709.7, 745, -745, 1e-300, -1e-300], 0);
    const base = {
      n, numClass: 1, objective: 0, scalePosWeight: 3, scores, y, g, h, shard: 0, shards: 1, block,
      valN: 0, valScores: new Float64Array(0), valY: new Float32Array(0), sums: new Float64Array(8),
      offsets: Int32Array.of(0), totalBins: 1, memory: arena.memory, kernelModule: histogramKernelModule(),
      pScores, pY, pG, pH, pScratch: arena.take(kernelScratchBytes(1, 1, 1)), scratchBytes: kernelScratchBytes(1, 1, 1),
    };
    const wasm = { ...base } as unknown as ShardView;
    shardKernel(wasm);
    expect(wasm.binaryGradients).not.toBeNull();
    const js = { ...base, binaryGradients: null } as unknown as ShardView;
    for (const round of [(v: ShardView) => shardGradients(v), (v: ShardView) => shardEndRound(v, 1, 10_000)]) {
      g.fill(NaN);
      h.fill(NaN);
      round(js);
      const [jsG, jsH, jsLoss] = [g.slice(), h.slice(), js.sums[4]];
      g.fill(NaN);
      h.fill(NaN);
      round(wasm);
      expect(Buffer.from(g.buffer, g.byteOffset, g.byteLength).equals(Buffer.from(jsG.buffer))).toBe(true);
      expect(Buffer.from(h.buffer, h.byteOffset, h.byteLength).equals(Buffer.from(jsH.buffer))).toBe(true);
      expect(wasm.sums[4]).toBeCloseTo(jsLoss, 6);
    }
    expect(js.sums[4]).toBeGreaterThan(0);
  });
});
