import { onnx } from 'onnx-proto';
import { encodeModel, floatShape, floatValue, IR_VERSION, OPSET, tensor } from '../../onnx_graph';
import { ONNX_INPUT } from '../../onnx_io';
import { scalerNodes } from '../standard_scaler';
import { MIN_DISTANCE, type KnnModel } from './neighbours';

/**
 * kNN as a plain ai.onnx graph (ai.onnx.ml has no neighbour search): standardise, then a Scan over the
 * batch that, per row, takes the distance to every stored row (Sub, Mul or Abs, ReduceSum) and keeps the
 * k smallest (TopK, lower index first on ties); then Gather the neighbours' targets and average them,
 * weighted by 1/d when asked. Scanning row by row holds [stored rows × width] at a time, never
 * [batch × stored rows]: a holdout of thousands of rows scores in bounded memory.
 */
const { INT, GRAPH } = onnx.AttributeProto.AttributeType;
const { INT64 } = onnx.TensorProto.DataType;

const int64 = (name: string, values: number[]): onnx.ITensorProto => ({ name, dims: [values.length], dataType: INT64, int64Data: values });

function rowDistances(model: KnnModel, width: number): onnx.IGraphProto {
  return {
    name: 'nearest_of_row',
    node: [
      { opType: 'Sub', input: ['stored', 'row'], output: ['difference'], name: 'difference' },
      model.distance === 'manhattan'
        ? { opType: 'Abs', input: ['difference'], output: ['term'], name: 'absolute' }
        : { opType: 'Mul', input: ['difference', 'difference'], output: ['term'], name: 'square' },
      { opType: 'ReduceSum', input: ['term', 'columns_axis'], output: ['distances'], attribute: [{ name: 'keepdims', type: INT, i: 0 }], name: 'sum' },
      { opType: 'TopK', input: ['distances', 'k'], output: ['row_distances', 'row_indices'], attribute: [{ name: 'largest', type: INT, i: 0 }, { name: 'sorted', type: INT, i: 1 }], name: 'k_nearest' },
    ],
    input: [floatShape('row', [width])],
    output: [
      floatShape('row_distances', [model.k]),
      { name: 'row_indices', type: { tensorType: { elemType: INT64, shape: { dim: [{ dimValue: model.k }] } } } },
    ],
  };
}

export function exportKnn(model: KnnModel, output: string, docString = ''): Uint8Array {
  const width = model.scaler.mean.length;
  const scaler = scalerNodes(model.scaler, ONNX_INPUT, 'standardised');
  const euclidean = model.distance === 'euclidean';
  const vote: onnx.INodeProto[] =
    model.weights === 'uniform'
      ? [{ opType: 'ReduceMean', input: ['neighbour_targets'], output: [output], attribute: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] }, { name: 'keepdims', type: INT, i: 0 }], name: 'vote' }]
      : [
          ...(euclidean ? [{ opType: 'Sqrt', input: ['nearest_sums'], output: ['nearest_distances'], name: 'root' }] : []),
          { opType: 'Max', input: [euclidean ? 'nearest_distances' : 'nearest_sums', 'min_distance'], output: ['floored'], name: 'floor' },
          { opType: 'Reciprocal', input: ['floored'], output: ['weights'], name: 'inverse' },
          { opType: 'Unsqueeze', input: ['weights', 'last_axis'], output: ['weights_column'], name: 'weights_column' },
          { opType: 'Mul', input: ['neighbour_targets', 'weights_column'], output: ['weighted'], name: 'weigh' },
          { opType: 'ReduceSum', input: ['weighted', 'neighbours_axis'], output: ['weighted_sum'], attribute: [{ name: 'keepdims', type: INT, i: 0 }], name: 'weighted_sum' },
          { opType: 'ReduceSum', input: ['weights', 'neighbours_axis'], output: ['weight_total'], attribute: [{ name: 'keepdims', type: INT, i: 1 }], name: 'weight_total' },
          { opType: 'Div', input: ['weighted_sum', 'weight_total'], output: [output], name: 'vote' },
        ];
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'mloop',
    docString,
    graph: {
      name: 'mloop_knn',
      node: [
        ...scaler.node,
        {
          opType: 'Scan',
          input: ['standardised'],
          output: ['nearest_sums', 'nearest_indices'],
          attribute: [
            { name: 'num_scan_inputs', type: INT, i: 1 },
            { name: 'body', type: GRAPH, g: rowDistances(model, width) },
          ],
          name: 'nearest',
        },
        { opType: 'Gather', input: ['targets', 'nearest_indices'], output: ['neighbour_targets'], attribute: [{ name: 'axis', type: INT, i: 0 }], name: 'neighbour_targets' },
        ...vote,
      ],
      initializer: [
        ...scaler.initializer,
        tensor('stored', [model.rows, width], model.stored),
        tensor('targets', [model.rows, model.outputs], model.targets),
        int64('k', [model.k]),
        int64('columns_axis', [1]),
        ...(model.weights === 'distance' ? [int64('neighbours_axis', [1]), int64('last_axis', [2]), tensor('min_distance', [], Float32Array.of(MIN_DISTANCE))] : []),
      ],
      input: [floatValue(ONNX_INPUT, width)],
      output: [floatValue(output, model.outputs)],
    },
  });
}
