import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LinearModel } from '../../../../../shared/ml/models/linear/linear_model';
import { exportLinearOnnx } from '../../../../../shared/ml/models/linear/onnx';
import { ONNX_OUTPUTS, type OnnxOutput } from '../../../../../shared/ml/onnx_io';
import { ensureOnnxVenv, onnxPython } from '../../../../support/onnx_venv';

/**
 * The ONNX project's own checker, with full shape inference, accepts each head of the linear families'
 * graph, as the cnn's test checks its own (same venv, built from local wheels when absent:
 * MLOOP_ONNX_VENV, MLOOP_WHEELS; skipped, saying why, without python3 or the wheels).
 */
const CHECK = `
import sys, onnx
model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
out = inferred.graph.output[0]
print(out.name, onnx.TensorProto.DataType.Name(out.type.tensor_type.elem_type), [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim])
`;

describe('the ONNX checker', () => {
  let dir: string;
  let unavailable: string | null;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-linear-onnx-'));
    unavailable = ensureOnnxVenv();
    if (unavailable) console.warn(`skipping the ONNX checker: ${unavailable}`);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['sigmoid', 1, ONNX_OUTPUTS.binary],
    ['softmax', 4, ONNX_OUTPUTS.multiclass],
    ['identity', 1, ONNX_OUTPUTS.regression],
    ['sigmoid_normalised', 3, ONNX_OUTPUTS.multiclass],
  ] as Array<[LinearModel['head'], number, OnnxOutput]>)('accepts the %s head (full check, strict shape inference)', (head, K, output) => {
    if (unavailable) return;
    const width = 7;
    const model: LinearModel = { width, head, weights: Float64Array.from({ length: width * K }, (_, i) => Math.sin(i)), bias: Float64Array.from({ length: K }, (_, k) => k - 1) };
    const file = path.join(dir, `${head}.onnx`);
    writeFileSync(file, exportLinearOnnx(model, output));
    const result = spawnSync(onnxPython, ['-c', CHECK, file], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`${output} FLOAT ['N', ${K}]`);
  });

  it('refuses a broken graph, so that its acceptance means something', () => {
    if (unavailable) return;
    const file = path.join(dir, 'broken.onnx');
    writeFileSync(file, exportLinearOnnx({ width: 2, head: 'sigmoid', weights: Float64Array.of(1, 2), bias: Float64Array.of(0) }, ONNX_OUTPUTS.binary));
    // the intercept taken out: the Add reads a tensor nothing defines
    const drop = `import onnx\nm = onnx.load('${file}')\nm.graph.initializer.remove(next(t for t in m.graph.initializer if t.name == 'intercept'))\nonnx.save(m, '${file}')\n`;
    const result = spawnSync(onnxPython, ['-c', drop + CHECK, file], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/intercept/);
  });
});
