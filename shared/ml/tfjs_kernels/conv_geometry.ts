import { backend_util } from '@tensorflow/tfjs';
import type { ConvGeometry } from './im2col';

/** tfjs's own reading of a conv2d's attributes (padding same/valid/explicit, rounding), as im2col wants it. */
export function convGeometry(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: { strides: number | [number, number]; pad: 'valid' | 'same' | number | backend_util.ExplicitPadding; dataFormat?: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
): ConvGeometry {
  if (attrs.dataFormat === 'NCHW') throw new Error('the fast conv2d gradients support NHWC only (tf.layers use NHWC)');
  const info = backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
