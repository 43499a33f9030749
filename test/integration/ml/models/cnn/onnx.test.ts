import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImageSpec } from '../../../../../shared/data/images/image_spec';
import { seededRandom } from '../../../../../shared/data/random';
import { exportCnnOnnx } from '../../../../../shared/ml/models/cnn/onnx';
import { denseFeatures, initialWeights } from '../../../../../shared/ml/models/cnn/weights';
import { ensureOnnxVenv, onnxPython } from '../../../../support/onnx_venv';

/**
 * The ONNX project's own checker, with full shape inference, accepts the exported CNN. It runs in a
 * Python venv built from local wheels when absent: MLOOP_ONNX_VENV (default <tmp>/mloop-onnx-venv),
 * MLOOP_WHEELS (default /opt/pypi/files, a folder with onnx and its dependencies' wheels). Without
 * python3 or the wheels the test is skipped, saying why.
 */
const CHECK = `
import sys, onnx
model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
out = inferred.graph.output[0]
print(out.name, [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim])
`;

describe('the ONNX checker', () => {
  let dir: string;
  let unavailable: string | null;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-cnn-onnx-'));
    unavailable = ensureOnnxVenv();
    if (unavailable) console.warn(`skipping the ONNX checker: ${unavailable}`);
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [1, 16, [4, 8], 2, 'gap'],
    [3, 64, [32, 64, 128], 5, 'gap'],
    [1, 28, [32, 64], 10, 'flatten'],
  ] as const)('accepts the CNN (full check, strict shape inference): %i channels, %i pixels, filters %j, %i classes, head %s', (channels, size, filters, classes, head) => {
    if (unavailable) return;
    const spec: ImageSpec = { size, channels, layout: 'NHWC', scale: 1 / 255 };
    const names = Array.from({ length: classes }, (_, k) => `class_${k}`);
    const file = path.join(dir, `cnn_${channels}_${size}_${head}.onnx`);
    const weights = initialWeights(channels, [...filters], classes, seededRandom(1), denseFeatures(filters, size, head));
    writeFileSync(file, exportCnnOnnx({ weights, spec, classes: names }));
    const result = spawnSync(onnxPython, ['-c', CHECK, file], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(`probabilities ['N', ${classes}]`);
  });

  it('refuses a broken graph, so that its acceptance means something', () => {
    if (unavailable) return;
    const spec: ImageSpec = { size: 16, channels: 1, layout: 'NHWC', scale: 1 / 255 };
    const file = path.join(dir, 'broken.onnx');
    writeFileSync(file, exportCnnOnnx({ weights: initialWeights(1, [4], 2, seededRandom(2)), spec, classes: ['a', 'b'] }));
    // the softmax layer's bias taken out: the Gemm reads a tensor nothing defines
    const drop = `import onnx\nm = onnx.load('${file}')\nm.graph.initializer.remove(next(t for t in m.graph.initializer if t.name == 'dense_b'))\nonnx.save(m, '${file}')\n`;
    const result = spawnSync(onnxPython, ['-c', drop + CHECK, file], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/ValidationError.*dense_b/);
  });
});
