import { onnx } from 'onnx-proto';
import { ONNX_OUTPUTS } from '../../onnx_io';
import type { Forest } from '../gbdt/forest';
import { exportTreeEnsemble } from '../gbdt/onnx_trees';
import { SMALLEST_TOTAL } from './predict';

/**
 * A forest as ONNX: gbdt's ai.onnx.ml TreeEnsembleRegressor (leaf values already divided by the number
 * of trees, so its SUM is the mean), then nothing for binary and regression, and for multiclass the
 * class shares divided by their row sum — ReduceSum, Max with a floor, Div — as predict.ts does.
 */
const { FLOAT, INT64 } = onnx.TensorProto.DataType;
const { INT } = onnx.AttributeProto.AttributeType;

export function exportAveragedForest(forest: Forest, docString: string): Uint8Array {
  const output = ONNX_OUTPUTS[forest.objective];
  const name = `mloop_forest_${forest.objective}`;
  if (forest.objective !== 'multiclass') {
    return exportTreeEnsemble(forest, { name, docString, tail: [{ opType: 'Identity', input: ['raw_score'], output: [output], name: 'mean' }] });
  }
  const initializer: onnx.ITensorProto[] = [
    { name: 'class_axis', dims: [1], dataType: INT64, int64Data: [1] },
    { name: 'smallest_total', dims: [], dataType: FLOAT, floatData: [SMALLEST_TOTAL] },
  ];
  const tail: onnx.INodeProto[] = [
    { opType: 'ReduceSum', input: ['raw_score', 'class_axis'], output: ['total'], name: 'total', attribute: [{ name: 'keepdims', type: INT, i: 1 }] },
    { opType: 'Max', input: ['total', 'smallest_total'], output: ['divisor'], name: 'divisor' },
    { opType: 'Div', input: ['raw_score', 'divisor'], output: [output], name: 'probabilities' },
  ];
  return exportTreeEnsemble(forest, { name, docString, tail, initializer });
}
