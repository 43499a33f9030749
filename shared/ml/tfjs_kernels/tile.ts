import { Tile, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import type { WasmBackend } from './wasm_heap';

/**
 * tf.tile by block copies: each axis's first repetition is written once, the others are copyWithin of
 * it. The batch-norm gradient tiles a [1,1,1,C] vector over the whole [N,H,W,C] batch at every step, which
 * tfjs-backend-wasm's element-by-element Tile made one of a training step's slowest kernels.
 */
export function tileInto(x: ArrayLike<number>, shape: number[], reps: number[], out: { [i: number]: number; copyWithin(t: number, s: number, e: number): unknown }): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const outShape = shape.map((s, i) => s * reps[i]);
  const xStrides = util.computeStrides(shape).concat(1);
  const outStrides = util.computeStrides(outShape).concat(1);
  const write = (d: number, xOff: number, oOff: number): void => {
    if (d === rank - 1) {
      for (let i = 0; i < shape[d]; i++) out[oOff + i] = x[xOff + i];
    } else {
      for (let i = 0; i < shape[d]; i++) write(d + 1, xOff + i * xStrides[d], oOff + i * outStrides[d]);
    }
    const block = shape[d] * outStrides[d];
    for (let r = 1; r < reps[d]; r++) out.copyWithin(oOff + r * block, oOff, oOff + block);
  };
  write(0, 0, 0);
}

function tile({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: unknown }): TensorInfo {
  const wasm = backend as WasmBackend;
  const { x } = inputs;
  const { reps } = attrs as { reps: number[] };
  if (x.dtype === 'string') throw new Error('the fast Tile kernel does not tile strings');
  const out = wasm.makeOutput(x.shape.map((s, i) => s * reps[i]), x.dtype);
  tileInto(wasm.typedArrayFromHeap(x), x.shape, reps, wasm.typedArrayFromHeap(out));
  return out;
}

export const tileConfig: KernelConfig = { kernelName: Tile, backendName: 'wasm', kernelFunc: tile as KernelConfig['kernelFunc'] };
