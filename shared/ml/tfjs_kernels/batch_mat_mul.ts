import { BatchMatMul, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { callReplacedKernel, heapView, type WasmBackend } from './wasm_heap';

/**
 * A float32 product with a transposed operand, as every network's backward pass asks (dX = dZ · Wᵀ,
 * dW = Xᵀ · dZ): the operand is transposed into a copy first, then multiplied by the wasm backend's own
 * kernel without transposes. tfjs-backend-wasm reaches XNNPACK only without transposes and otherwise runs
 * a scalar loop, measured 10–20× slower per multiply-add on a dense network's [512, 32] × [32, 16]; the
 * copy costs one pass over the operand. Batched products (a leading dimension above 1) and the plain
 * case go to the wasm backend's kernel unchanged.
 */
type Args = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: unknown };

/** The last two axes of a single matrix swapped, rows × cols → cols × rows, in the heap. */
function transposed(wasm: WasmBackend, x: TensorInfo): TensorInfo {
  const rows = x.shape[x.shape.length - 2];
  const cols = x.shape[x.shape.length - 1];
  const out = wasm.makeOutput([cols, rows], 'float32');
  const from = heapView(wasm, x);
  const to = heapView(wasm, out);
  // blocks of 16 rows keep both the read and the write side in cache
  for (let r0 = 0; r0 < rows; r0 += 16) {
    const r1 = Math.min(rows, r0 + 16);
    for (let c = 0; c < cols; c++) {
      const o = c * rows;
      for (let r = r0; r < r1; r++) to[o + r] = from[r * cols + c];
    }
  }
  return out;
}

const single = (x: TensorInfo) => util.sizeFromShape(x.shape.slice(0, -2)) === 1;

function batchMatMul(args: Args): TensorInfo {
  const { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32' || !single(a) || !single(b)) {
    return callReplacedKernel(BatchMatMul, args);
  }
  const wasm = args.backend as WasmBackend;
  const a2 = transposeA ? transposed(wasm, a) : a;
  const b2 = transposeB ? transposed(wasm, b) : b;
  try {
    const out = callReplacedKernel(BatchMatMul, { inputs: { a: a2, b: b2 }, backend: wasm, attrs: { transposeA: false, transposeB: false } });
    // the answer keeps the rank of the inputs, as the wasm kernel's own does
    const rank = Math.max(a.shape.length, b.shape.length);
    out.shape = [...Array(rank - 2).fill(1), a2.shape[a2.shape.length - 2], b2.shape[b2.shape.length - 1]];
    return out;
  } finally {
    if (a2 !== a) wasm.disposeData(a2.dataId);
    if (b2 !== b) wasm.disposeData(b2.dataId);
  }
}

export const batchMatMulConfig: KernelConfig = { kernelName: BatchMatMul, backendName: 'wasm', kernelFunc: batchMatMul as KernelConfig['kernelFunc'] };
