import { onnx } from 'onnx-proto';
import { MloopError } from '../../core/errors';
import { encodeModel, OPSET, tensor } from '../onnx_graph';
import { ONNX_OUTPUTS } from '../onnx_io';
import { PLATT_EPS, PLATT_ONE_MINUS_EPS, type Calibrator } from './calibrator';

/**
 * Folds a calibrator into a binary model's ONNX graph: what the model answered as `probability` is
 * renamed, and the calibration's nodes answer `probability` from it, so the scorer, the manifest and
 * every client read the calibrated probability under the name they always read. Standard operators
 * only (opset 13+), so any runtime serves it.
 */
const OUTPUT = ONNX_OUTPUTS.binary;
const RAW = 'probability_uncalibrated';
const { FLOAT, INT64 } = onnx.TensorProto.DataType;

const f32 = (values: number[]) => Float32Array.from(values);
const node = (opType: string, input: string[], output: string, attribute: onnx.IAttributeProto[] = []): onnx.INodeProto => ({
  opType,
  input,
  output: [output],
  name: `calibration_${output}`,
  attribute,
});

export function foldCalibration(bytes: Uint8Array, calibrator: Calibrator): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnx.GraphProto;
  const at = graph.output.findIndex((o) => o.name === OUTPUT);
  if (at < 0) throw new MloopError('internal', `a binary model's ONNX graph has no ${OUTPUT} output to calibrate`);
  for (const n of graph.node) {
    n.output = (n.output ?? []).map((name) => (name === OUTPUT ? RAW : name));
    n.input = (n.input ?? []).map((name) => (name === OUTPUT ? RAW : name));
  }
  const { nodes, initializers } = calibrator.method === 'platt' ? plattNodes(calibrator.platt) : isotonicNodes(calibrator.isotonic);
  graph.node.push(...nodes);
  graph.initializer.push(...initializers);
  // the operators above need the standard domain at opset 13 or later (Unsqueeze and ReduceSum take axes as an input)
  const standard = model.opsetImport.find((o) => !o.domain);
  if (!standard) model.opsetImport.push({ domain: '', version: OPSET });
  else if (Number(standard.version) < 13) standard.version = OPSET;
  // the output keeps its name, type and shape; only what computes it changed
  return encodeModel(model);
}

function plattNodes({ a, b }: { a: number; b: number }) {
  const initializers = [
    tensor('calibration_eps', [], f32([PLATT_EPS])),
    tensor('calibration_one_minus_eps', [], f32([PLATT_ONE_MINUS_EPS])),
    tensor('calibration_one', [], f32([1])),
    tensor('calibration_a', [], f32([a])),
    tensor('calibration_b', [], f32([b])),
  ];
  const nodes = [
    node('Clip', [RAW, 'calibration_eps', 'calibration_one_minus_eps'], 'calibration_clipped'),
    node('Log', ['calibration_clipped'], 'calibration_log_p'),
    node('Sub', ['calibration_one', 'calibration_clipped'], 'calibration_q'),
    node('Log', ['calibration_q'], 'calibration_log_q'),
    node('Sub', ['calibration_log_p', 'calibration_log_q'], 'calibration_logit'),
    node('Mul', ['calibration_logit', 'calibration_a'], 'calibration_scaled'),
    node('Add', ['calibration_scaled', 'calibration_b'], 'calibration_z'),
    node('Sigmoid', ['calibration_z'], OUTPUT),
  ];
  return { nodes, initializers };
}

/**
 * The segment of each score is the count of inner breakpoints at or below it (a comparison against all
 * of them at once, summed), then its start, value and slope are gathered: y_k + slope_k·(s − x_k).
 */
function isotonicNodes({ x, y }: { x: number[]; y: number[] }) {
  const m = x.length;
  const starts = x.slice(0, m - 1);
  const values = y.slice(0, m - 1);
  const slopes = starts.map((_, k) => (x[k + 1] === x[k] ? 0 : (y[k + 1] - y[k]) / (x[k + 1] - x[k])));
  // no inner breakpoint: one comparison that never holds keeps the graph the same shape
  const inner = m > 2 ? x.slice(1, m - 1) : [Infinity];
  const int = onnx.AttributeProto.AttributeType.INT;
  const initializers = [
    tensor('calibration_low', [], f32([x[0]])),
    tensor('calibration_high', [], f32([x[m - 1]])),
    tensor('calibration_inner', [inner.length], f32(inner)),
    tensor('calibration_starts', [m - 1], f32(starts)),
    tensor('calibration_values', [m - 1], f32(values)),
    tensor('calibration_slopes', [m - 1], f32(slopes)),
    tensor('calibration_axes', [1], new Uint8Array(BigInt64Array.of(-1n).buffer), INT64),
  ];
  const nodes = [
    node('Max', [RAW, 'calibration_low'], 'calibration_above'),
    node('Min', ['calibration_above', 'calibration_high'], 'calibration_s'),
    node('Unsqueeze', ['calibration_s', 'calibration_axes'], 'calibration_column'),
    node('GreaterOrEqual', ['calibration_column', 'calibration_inner'], 'calibration_ge'),
    node('Cast', ['calibration_ge'], 'calibration_ge_f', [{ name: 'to', type: int, i: FLOAT }]),
    node('ReduceSum', ['calibration_ge_f', 'calibration_axes'], 'calibration_count', [{ name: 'keepdims', type: int, i: 0 }]),
    node('Cast', ['calibration_count'], 'calibration_k', [{ name: 'to', type: int, i: INT64 }]),
    node('Gather', ['calibration_starts', 'calibration_k'], 'calibration_xk'),
    node('Gather', ['calibration_values', 'calibration_k'], 'calibration_yk'),
    node('Gather', ['calibration_slopes', 'calibration_k'], 'calibration_slope'),
    node('Sub', ['calibration_s', 'calibration_xk'], 'calibration_dx'),
    node('Mul', ['calibration_slope', 'calibration_dx'], 'calibration_rise'),
    node('Add', ['calibration_yk', 'calibration_rise'], OUTPUT),
  ];
  return { nodes, initializers };
}
