import { onnx } from 'onnx-proto';
import { ONNX_INPUT } from './onnx_io';
import { floatShape, IR_VERSION, tensor } from './onnx_graph';

/**
 * One ONNX graph serving the weighted average of several mloop models that read the same `features`
 * and answer the same output: each member's graph copied in under its own prefix (every node, value
 * and initializer name but the shared input), its output times its weight, and a Sum writing the
 * output under its own name. The scorer sees one model with the usual input and output.
 */
export interface BlendMember {
  onnx: Uint8Array;
  weight: number;
}

export function exportBlendOnnx(members: BlendMember[], output: string, columns: number, docString: string): Uint8Array {
  const nodes: onnx.INodeProto[] = [];
  const initializer: onnx.ITensorProto[] = [];
  const opsets = new Map<string, number>();
  let irVersion = IR_VERSION;
  let input: onnx.IValueInfoProto | null = null;
  const weighted: string[] = [];
  members.forEach((member, m) => {
    const model = onnx.ModelProto.decode(member.onnx);
    const graph = model.graph!;
    const prefix = `m${m}_`;
    const rename = (name: string) => (name === ONNX_INPUT || name === '' ? name : prefix + name);
    if ((graph.sparseInitializer?.length ?? 0) > 0 || (model.functions?.length ?? 0) > 0) throw new Error(`blend member ${m}: sparse initializers and functions are not merged`);
    for (const node of graph.node ?? []) {
      if (node.attribute?.some((a) => a.g || (a.graphs?.length ?? 0) > 0)) throw new Error(`blend member ${m}: a node with a subgraph (${node.opType}) is not merged`);
      nodes.push({ ...node, name: prefix + (node.name ?? ''), input: (node.input ?? []).map(rename), output: (node.output ?? []).map(rename) });
    }
    for (const t of graph.initializer ?? []) initializer.push({ ...t, name: rename(t.name ?? '') });
    for (const o of model.opsetImport ?? []) opsets.set(o.domain ?? '', Math.max(opsets.get(o.domain ?? '') ?? 0, Number(o.version)));
    irVersion = Math.max(irVersion, Number(model.irVersion ?? 0));
    input ??= (graph.input ?? []).find((v) => v.name === ONNX_INPUT) ?? null;
    if (!(graph.output ?? []).some((v) => v.name === output)) throw new Error(`blend member ${m} has no output "${output}"`);
    initializer.push(tensor(`${prefix}blend_weight`, [], Float32Array.of(member.weight)));
    nodes.push({ opType: 'Mul', input: [prefix + output, `${prefix}blend_weight`], output: [`${prefix}weighted`], name: `${prefix}weigh` });
    weighted.push(`${prefix}weighted`);
  });
  if (!input) throw new Error(`no blend member reads "${ONNX_INPUT}"`);
  nodes.push({ opType: 'Sum', input: weighted, output: [output], name: 'blend' });
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion,
      opsetImport: [...opsets].map(([domain, version]) => ({ domain, version })),
      producerName: 'mloop',
      docString,
      graph: { name: 'mloop_blend', node: nodes, initializer, input: [input], output: [floatShape(output, ['N', columns])] },
    }),
  ).finish();
}
