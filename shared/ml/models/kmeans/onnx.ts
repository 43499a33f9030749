import { onnx } from 'onnx-proto';
import { encodeModel, floatShape, floatValue, IR_VERSION, OPSET, tensor } from '../../onnx_graph';
import { ONNX_DISTANCES, ONNX_INPUT, ONNX_OUTPUTS } from '../../onnx_io';
import { scalerNodes, type StandardScaler } from '../standard_scaler';

/**
 * k-means as a plain ai.onnx graph: standardise, then a Scan over the batch takes each row's Euclidean
 * distance to every centroid (Sub, Mul, ReduceSum, Sqrt) without the |x|² − 2x·c + |c|² expansion, whose
 * cancellation would blur a distance near 0; `cluster` is the ArgMin (the first on a tie), as a float.
 */
const { INT, GRAPH } = onnx.AttributeProto.AttributeType;
const { INT64, FLOAT } = onnx.TensorProto.DataType;

export function exportKmeans(scaler: StandardScaler, centroids: Float32Array, k: number, docString = ''): Uint8Array {
  const width = scaler.mean.length;
  const scaling = scalerNodes(scaler, ONNX_INPUT, 'standardised');
  const body: onnx.IGraphProto = {
    name: 'distances_of_row',
    node: [
      { opType: 'Sub', input: ['centroids', 'row'], output: ['difference'], name: 'difference' },
      { opType: 'Mul', input: ['difference', 'difference'], output: ['square'], name: 'square' },
      { opType: 'ReduceSum', input: ['square', 'columns_axis'], output: ['sum'], attribute: [{ name: 'keepdims', type: INT, i: 0 }], name: 'sum' },
      { opType: 'Sqrt', input: ['sum'], output: ['row_distances'], name: 'root' },
    ],
    input: [floatShape('row', [width])],
    output: [floatShape('row_distances', [k])],
  };
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'mloop',
    docString,
    graph: {
      name: 'mloop_kmeans',
      node: [
        ...scaling.node,
        { opType: 'Scan', input: ['standardised'], output: [ONNX_DISTANCES], attribute: [{ name: 'num_scan_inputs', type: INT, i: 1 }, { name: 'body', type: GRAPH, g: body }], name: 'distances' },
        { opType: 'ArgMin', input: [ONNX_DISTANCES], output: ['nearest'], attribute: [{ name: 'axis', type: INT, i: 1 }, { name: 'keepdims', type: INT, i: 1 }], name: 'nearest' },
        { opType: 'Cast', input: ['nearest'], output: [ONNX_OUTPUTS.clustering], attribute: [{ name: 'to', type: INT, i: FLOAT }], name: 'cluster' },
      ],
      initializer: [...scaling.initializer, tensor('centroids', [k, width], centroids), { name: 'columns_axis', dims: [1], dataType: INT64, int64Data: [1] }],
      input: [floatValue(ONNX_INPUT, width)],
      output: [floatValue(ONNX_OUTPUTS.clustering, 1), floatValue(ONNX_DISTANCES, k)],
    },
  });
}
