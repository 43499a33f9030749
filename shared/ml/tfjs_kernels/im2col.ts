/**
 * The patches a convolution reads, one row per output position (n, oh, ow) and one column per filter
 * tap (kh, kw, ci): the layout that turns a convolution's gradients into one matrix product each.
 * Taps outside the image (padding) are zeros. NHWC, dilation 1.
 */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

export function im2col(x: Float32Array, g: ConvGeometry, cols: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  const rowLength = KH * KW * C;
  let row = 0;
  for (let n = 0; n < g.batch; n++) {
    const xBatch = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, row++) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        let o = row * rowLength;
        for (let kh = 0; kh < KH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= H) {
            for (let e = o + KW * C; o < e; o++) cols[o] = 0;
            continue;
          }
          const xRow = xBatch + ih * W * C;
          for (let kw = 0; kw < KW; kw++, o += C) {
            const iw = iw0 + kw;
            if (iw < 0 || iw >= W) for (let c = 0; c < C; c++) cols[o + c] = 0;
            else for (let c = 0, p = xRow + iw * C; c < C; c++) cols[o + c] = x[p + c];
          }
        }
      }
    }
  }
}

/**
 * The same patches transposed, one row per tap and one column per output position, written in order.
 * tfjs-backend-wasm's BatchMatMul reaches XNNPACK only without transposes (measured ~15× faster than
 * its fallback loop with transposeA), so the filter gradient wants this layout: dW = colsᵀ · dy.
 */
export function im2colTransposed(x: Float32Array, g: ConvGeometry, colsT: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  let o = 0;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      for (let c = 0; c < C; c++) {
        for (let n = 0; n < g.batch; n++) {
          const xBatch = n * H * W * C + c;
          for (let oh = 0; oh < OH; oh++) {
            const ih = oh * g.strideHeight - g.padTop + kh;
            if (ih < 0 || ih >= H) {
              for (let e = o + OW; o < e; o++) colsT[o] = 0;
              continue;
            }
            const xRow = xBatch + ih * W * C;
            for (let ow = 0; ow < OW; ow++, o++) {
              const iw = ow * g.strideWidth - g.padLeft + kw;
              colsT[o] = iw < 0 || iw >= W ? 0 : x[xRow + iw * C];
            }
          }
        }
      }
    }
  }
}

/** The adjoint of im2col: every patch entry added back onto the pixel it was read from. */
export function col2im(cols: Float32Array, g: ConvGeometry, x: Float32Array): void {
  const { inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = g;
  const rowLength = KH * KW * C;
  x.fill(0);
  let row = 0;
  for (let n = 0; n < g.batch; n++) {
    const xBatch = n * H * W * C;
    for (let oh = 0; oh < OH; oh++) {
      const ih0 = oh * g.strideHeight - g.padTop;
      for (let ow = 0; ow < OW; ow++, row++) {
        const iw0 = ow * g.strideWidth - g.padLeft;
        let o = row * rowLength;
        for (let kh = 0; kh < KH; kh++) {
          const ih = ih0 + kh;
          if (ih < 0 || ih >= H) {
            o += KW * C;
            continue;
          }
          const xRow = xBatch + ih * W * C;
          for (let kw = 0; kw < KW; kw++, o += C) {
            const iw = iw0 + kw;
            if (iw < 0 || iw >= W) continue;
            const p = xRow + iw * C;
            for (let c = 0; c < C; c++) x[p + c] += cols[o + c];
          }
        }
      }
    }
  }
}
