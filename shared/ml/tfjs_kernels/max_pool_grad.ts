import { backend_util, MaxPoolGrad, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs';
import { heapView, type WasmBackend } from './wasm_heap';

/**
 * The gradient of max pooling: each output's gradient goes to the first largest input of its window, the
 * tie rule of tfjs's cpu backend (ties are common after ReLU's zeros). One pass over the outputs, where
 * tfjs-backend-wasm's kernel visits, for every input pixel, every window holding it.
 */
function maxPoolGrad({ inputs, backend, attrs }: { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: unknown }): TensorInfo {
  const wasm = backend as WasmBackend;
  const { dy, input } = inputs;
  const a = attrs as { filterSize: number | [number, number]; strides: number | [number, number]; pad: 'valid' | 'same' | number; dimRoundingMode?: 'floor' | 'round' | 'ceil' };
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const dx = wasm.makeOutput(input.shape, 'float32');
  const x = heapView(wasm, input);
  const g = heapView(wasm, dy);
  const out = heapView(wasm, dx);
  out.fill(0);
  let o = 0;
  for (let n = 0; n < N; n++) {
    const xBatch = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - info.padInfo.top;
      for (let ow = 0; ow < OW; ow++) {
        const w0 = ow * SW - info.padInfo.left;
        for (let c = 0; c < C; c++, o++) {
          let best = -Infinity;
          let at = -1;
          for (let fh = 0; fh < FH; fh++) {
            const h = h0 + fh;
            if (h < 0 || h >= H) continue;
            for (let fw = 0; fw < FW; fw++) {
              const w = w0 + fw;
              if (w < 0 || w >= W) continue;
              const p = xBatch + (h * W + w) * C + c;
              if (x[p] > best) {
                best = x[p];
                at = p;
              }
            }
          }
          if (at >= 0) out[at] += g[o];
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = { kernelName: MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGrad as KernelConfig['kernelFunc'] };
