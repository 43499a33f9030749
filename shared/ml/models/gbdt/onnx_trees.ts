import { onnx } from 'onnx-proto';
import { ONNX_INPUT, ONNX_OUTPUTS } from '../../onnx_io';
import type { Forest } from './forest';

/**
 * Writes the ensemble as ONNX: `features` is cast to double and fed to one ai.onnx.ml
 * TreeEnsembleRegressor with double thresholds and leaf values (opset 3's `*_as_tensor`), then Sigmoid,
 * Softmax or nothing. The cast costs nothing in accuracy (every float32 is a double) and buys two things:
 * onnxruntime then sums the trees in double, as the trainer's predict does, instead of in float32 (which
 * over hundreds of trees drifts past 1e-5); and the thresholds, float32 values held in doubles, compare
 * with the inputs exactly as during training. Splits are BRANCH_LEQ (left when x ≤ threshold), and
 * `nodes_missing_value_tracks_true` is the trainer's learned direction for NaN.
 */
const ML_DOMAIN = 'ai.onnx.ml';
const IR_VERSION = 8;
const OPSET = 17;
const ML_OPSET = 3;
const { FLOAT, DOUBLE } = onnx.TensorProto.DataType;
const { INT, INTS, STRING, STRINGS, TENSOR } = onnx.AttributeProto.AttributeType;
const text = new TextEncoder();
// encoded once: a forest of a million nodes would otherwise allocate a million copies
const MODES: Record<string, Uint8Array> = { BRANCH_LEQ: text.encode('BRANCH_LEQ'), LEAF: text.encode('LEAF') };

/**
 * The ensemble's per-node lists are written as protobuf bytes here rather than by onnx-proto, which
 * allocates a writer operation (and a Long) per integer: a forest of 100 trees of 4 096 leaves, 800 000
 * nodes, took it 45 s and 900 MB. Protobuf reads a message's fields in any order and a repeated field
 * from any number of occurrences, so a message may be onnx-proto's bytes followed by these.
 */
const FIELD = { modelGraph: 7, graphNode: 1, nodeAttribute: 5, attributeInts: 8, attributeStrings: 9 } as const;

function varintLength(v: number): number {
  let length = 1;
  while (v >= 128) {
    v = Math.floor(v / 128);
    length++;
  }
  return length;
}

function writeVarint(out: Uint8Array, at: number, v: number): number {
  while (v >= 128) {
    out[at++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  out[at++] = v;
  return at;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Each item as one occurrence of a length-delimited field. */
function delimited(field: number, items: Uint8Array[]): Uint8Array {
  const tag = field * 8 + 2;
  const out = new Uint8Array(items.reduce((sum, b) => sum + varintLength(tag) + varintLength(b.length) + b.length, 0));
  let at = 0;
  for (const item of items) {
    at = writeVarint(out, at, tag);
    at = writeVarint(out, at, item.length);
    out.set(item, at);
    at += item.length;
  }
  return out;
}

/** An INTS attribute of non-negative integers, packed as onnx-proto packs them. */
function ints(name: string, values: number[]): Uint8Array {
  const packed = new Uint8Array(values.reduce((sum, v) => sum + varintLength(v), 0));
  let at = 0;
  for (const v of values) at = writeVarint(packed, at, v);
  return concat([onnx.AttributeProto.encode({ name, type: INTS }).finish(), delimited(FIELD.attributeInts, [packed])]);
}

function strings(name: string, values: Uint8Array[]): Uint8Array {
  return concat([onnx.AttributeProto.encode({ name, type: STRINGS }).finish(), delimited(FIELD.attributeStrings, values)]);
}

const attribute = (a: onnx.IAttributeProto): Uint8Array => onnx.AttributeProto.encode(a).finish();

const doubles = (name: string, values: number[]): Uint8Array => {
  const data = Float64Array.from(values);
  return attribute({ name, type: TENSOR, t: { name, dims: [data.length], dataType: DOUBLE, rawData: new Uint8Array(data.buffer) } });
};

const floatValue = (name: string, dims: Array<string | number>): onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

function ensembleAttributes(forest: Forest): Uint8Array[] {
  const node = { tree: [] as number[], id: [] as number[], feature: [] as number[], mode: [] as string[], value: [] as number[] };
  const branch = { yes: [] as number[], no: [] as number[], missingYes: [] as number[] };
  const target = { tree: [] as number[], node: [] as number[], id: [] as number[], weight: [] as number[] };
  forest.trees.forEach((tree, t) => {
    const internal = tree.feature.length;
    // leaf l is node internal + l, after the splits: ids run from 0 within each tree, as ONNX wants
    const idOf = (child: number) => (child >= 0 ? child : internal + ~child);
    for (let k = 0; k < internal; k++) {
      node.tree.push(t);
      node.id.push(k);
      node.feature.push(tree.feature[k]);
      node.mode.push('BRANCH_LEQ');
      node.value.push(tree.threshold[k]);
      branch.yes.push(idOf(tree.left[k]));
      branch.no.push(idOf(tree.right[k]));
      branch.missingYes.push(tree.defaultLeft[k]);
    }
    for (let l = 0; l < tree.leafValue.length; l++) {
      node.tree.push(t);
      node.id.push(internal + l);
      node.feature.push(0);
      node.mode.push('LEAF');
      node.value.push(0);
      branch.yes.push(0);
      branch.no.push(0);
      branch.missingYes.push(0);
      target.tree.push(t);
      target.node.push(internal + l);
      target.id.push(t % forest.numClass);
      target.weight.push(tree.leafValue[l]);
    }
  });
  return [
    attribute({ name: 'n_targets', type: INT, i: forest.numClass }),
    attribute({ name: 'aggregate_function', type: STRING, s: text.encode('SUM') }),
    attribute({ name: 'post_transform', type: STRING, s: text.encode('NONE') }),
    doubles('base_values_as_tensor', Array.from(forest.base)),
    ints('nodes_treeids', node.tree),
    ints('nodes_nodeids', node.id),
    ints('nodes_featureids', node.feature),
    strings('nodes_modes', node.mode.map((m) => MODES[m])),
    doubles('nodes_values_as_tensor', node.value),
    ints('nodes_truenodeids', branch.yes),
    ints('nodes_falsenodeids', branch.no),
    ints('nodes_missing_value_tracks_true', branch.missingYes),
    ints('target_treeids', target.tree),
    ints('target_nodeids', target.node),
    ints('target_ids', target.id),
    doubles('target_weights_as_tensor', target.weight),
  ];
}

export function exportForestOnnx(forest: Forest, docString = ''): Uint8Array {
  const output = ONNX_OUTPUTS[forest.objective];
  const last: onnx.INodeProto =
    forest.objective === 'binary'
      ? { opType: 'Sigmoid', input: ['raw_score'], output: [output], name: 'sigmoid' }
      : forest.objective === 'multiclass'
        ? { opType: 'Softmax', input: ['raw_score'], output: [output], name: 'softmax', attribute: [{ name: 'axis', type: INT, i: 1 }] }
        : { opType: 'Identity', input: ['raw_score'], output: [output], name: 'value' };
  return exportTreeEnsemble(forest, { name: `mloop_gbdt_${forest.objective}`, docString, tail: [last] });
}

/**
 * The ensemble's graph with the given nodes after it: they read `raw_score` (float [N, K], the trees'
 * sums plus the base) and write the task's output. A random forest's averaging reuses it.
 */
export function exportTreeEnsemble(
  forest: Forest,
  graph: { name: string; docString: string; tail: onnx.INodeProto[]; initializer?: onnx.ITensorProto[] },
): Uint8Array {
  const encodeNode = (node: onnx.INodeProto) => onnx.NodeProto.encode(node).finish();
  const trees = concat([
    encodeNode({ opType: 'TreeEnsembleRegressor', domain: ML_DOMAIN, input: ['features_double'], output: ['raw_score'], name: 'trees' }),
    delimited(FIELD.nodeAttribute, ensembleAttributes(forest)),
  ]);
  const nodes = [
    encodeNode({ opType: 'Cast', input: [ONNX_INPUT], output: ['features_double'], name: 'to_double', attribute: [{ name: 'to', type: INT, i: DOUBLE }] }),
    trees,
    ...graph.tail.map(encodeNode),
  ];
  const rest = onnx.GraphProto.encode({
    name: graph.name,
    initializer: graph.initializer ?? [],
    input: [floatValue(ONNX_INPUT, ['N', forest.width])],
    output: [floatValue(ONNX_OUTPUTS[forest.objective], ['N', forest.numClass])],
  }).finish();
  const model = onnx.ModelProto.encode({
    irVersion: IR_VERSION,
    opsetImport: [
      { domain: '', version: OPSET },
      { domain: ML_DOMAIN, version: ML_OPSET },
    ],
    producerName: 'mloop',
    docString: graph.docString,
  }).finish();
  return concat([model, delimited(FIELD.modelGraph, [concat([delimited(FIELD.graphNode, nodes), rest])])]);
}
