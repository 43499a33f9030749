import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { MloopError } from '../../../../shared/core/errors';
import type { Task } from '../../../../shared/data/prepare';
import { checkTarget, isImageFamily, type FamilyTask } from '../../../../shared/ml/models/family';
import { ANOMALY_DETECTOR, DEFAULT_FAMILY, FAMILIES, FAMILY_NAMES, family } from '../../../../shared/ml/models/registry';
import { trainImages, trainTable, TRAINED_FAMILIES } from '../../../../shared/ml/models/trainers';
import { ONNX_OUTPUTS } from '../../../../shared/ml/onnx_io';

const ROOT = path.resolve(__dirname, '../../../..');
const TASKS: readonly FamilyTask[] = ['binary', 'multiclass', 'regression', 'anomaly', 'clustering'];
const TARGETS: readonly Task[] = ['binary', 'multiclass', 'regression'];

/** The files and packages a bundle of `entry` evaluates when it loads: static imports and requires, not import(). */
async function loadedAtStart(entry: string, followDynamic = false): Promise<Set<string>> {
  const { metafile } = await build({ entryPoints: [path.join(ROOT, entry)], bundle: true, write: false, metafile: true, platform: 'node', packages: 'external', absWorkingDir: ROOT, logLevel: 'silent' });
  const inputs = (metafile as Metafile).inputs;
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imported of inputs[file]?.imports ?? []) {
      if (imported.kind === 'dynamic-import' && !followDynamic) continue;
      visit(imported.path);
    }
  };
  visit(entry);
  return seen;
}

const tensorflowIn = (files: Set<string>) => [...files].filter((f) => f.startsWith('@tensorflow/'));
const trainersIn = (files: Set<string>) => [...files].filter((f) => /^shared\/ml\/models\/[^/]+\/train\.ts$/.test(f));

describe('model family registry', () => {
  it('lists each family once, under a name mloop.json can spell, and makes auto the default for a table', () => {
    expect(FAMILY_NAMES).toEqual(FAMILIES.map((f) => f.name));
    expect(new Set(FAMILY_NAMES).size).toBe(FAMILY_NAMES.length);
    for (const name of FAMILY_NAMES) expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(DEFAULT_FAMILY).toBe('auto');
    expect(isImageFamily(family(DEFAULT_FAMILY))).toBe(false);
    expect(family(DEFAULT_FAMILY).supervised).toBe(true);
    expect(ANOMALY_DETECTOR.supervised).toBe(false);
    expect(FAMILIES).toContain(ANOMALY_DETECTOR);
  });

  it.each(FAMILIES.map((f) => [f.name, f] as const))('describes %s completely and consistently', (name, f) => {
    expect(family(name)).toBe(f);
    expect(['tabular', 'image', undefined]).toContain(f.input);
    // the descriptor carries no trainer (trainers.ts does), so that serving code reading it loads none
    expect(isImageFamily(f)).toBe(f.input === 'image');
    expect(Object.values(f).filter((v) => typeof v === 'function')).toEqual([f.onnxOutput]);
    expect(f.tasks.length).toBeGreaterThan(0);
    for (const task of f.tasks) expect(TASKS).toContain(task);
    // an unsupervised family answers anomalies or clusters only; a supervised one never does
    expect(f.tasks.includes('anomaly') || f.tasks.includes('clustering')).toBe(!f.supervised);
    if (!f.supervised) expect(f.tasks).toHaveLength(1);
    expect(['epoch', 'iteration']).toContain(f.progressUnit);
    expect(Object.keys(f.defaults).length).toBeGreaterThan(0);
    // the defaults are written to mloop.json and the manifest as they are
    expect(JSON.parse(JSON.stringify(f.defaults))).toEqual(f.defaults);
    expect('epochs' in f.defaults).toBe(f.takesEpochs);
    expect(f.takesBackend).toBe('backend' in f.defaults);
    expect(f.takesMetric ?? false).toBe('metric' in f.defaults);
    for (const task of TARGETS) expect(f.onnxOutput(task)).toBe(f.supervised ? ONNX_OUTPUTS[task] : ONNX_OUTPUTS[f.tasks[0] as 'anomaly' | 'clustering']);
    // a run of it can be planned on some target, and is refused on the others with the reason
    const taken = TARGETS.filter((task) => {
      try {
        checkTarget(f, task);
        return true;
      } catch (err) {
        expect(err).toBeInstanceOf(MloopError);
        expect((err as MloopError).message).toMatch(new RegExp(`^${name} .*; this target is ${task}$`));
        return false;
      }
    });
    // an image family takes no table's target at all; a clustering ignores it, whatever it is
    expect(taken).toEqual(isImageFamily(f) ? [] : f.supervised ? f.tasks : f.tasks.includes('clustering') ? TARGETS : ['binary']);
  });

  it.each(FAMILIES.map((f) => [f.name, f] as const))('%s trains with exactly the parameters its descriptor lists', async (_name, f) => {
    const split = { X: new Float32Array(4), y: new Float32Array(4), n: 4 };
    const data = { task: 'binary' as const, classes: ['0', '1'], specs: [{ name: 'x', kind: 'numeric' as const, mean: 0, std: 1, min: 0, max: 1, fill: 0 }], train: split, validation: split };
    const images = { x: new Float32Array(4 * 16 * 16), y: Int32Array.of(0, 1, 0, 1), n: 4 };
    const imageData = { spec: { size: 16, channels: 1 as const, layout: 'NHWC' as const, scale: 1 / 255 }, classes: ['0', '1'], train: images, validation: images, test: images };
    const training = isImageFamily(f) ? trainImages(f.name, imageData, { no_such_parameter: 1 }) : trainTable(f.name, data, { no_such_parameter: 1 });
    const refused = await training.then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(MloopError);
    expect((refused as MloopError).code).toBe('invalid_argument');
    expect((refused as MloopError).message).toContain('"no_such_parameter"');
    expect((refused as MloopError).message).toContain(`(known: ${Object.keys(f.defaults).join(', ')})`);
  });

  it('lists cnn as an image family, which refuses a table', async () => {
    const cnn = family('cnn');
    expect(cnn.input).toBe('image');
    expect(cnn.onnxOutput('multiclass')).toBe(ONNX_OUTPUTS.multiclass);
    const split = { X: new Float32Array(0), y: new Float32Array(0), n: 0 };
    await expect(trainTable('cnn', { task: 'multiclass', classes: ['a', 'b'], specs: [], train: split, validation: split })).rejects.toThrow(/^cnn trains on images/);
    await expect(trainImages('gbdt', { spec: { size: 16, channels: 1, layout: 'NHWC', scale: 1 }, classes: [], train: split as never, validation: split as never, test: split as never })).rejects.toThrow(/^gbdt trains on a table/);
    expect(FAMILIES.filter((f) => !isImageFamily(f)).map((f) => f.name)).toEqual(['mlp', 'logistic', 'gbdt', 'isolation_forest', 'linear', 'linear_svm', 'random_forest', 'extra_trees', 'knn', 'kmeans', 'auto']);
  });

  it('has a trainer for every family, and the trainers table lists no other', () => {
    expect([...TRAINED_FAMILIES].sort()).toEqual([...FAMILY_NAMES].sort());
  });

  it('refuses an unknown name, listing the known ones', () => {
    let error: unknown;
    try {
      family('xgboost');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MloopError);
    expect((error as MloopError).code).toBe('invalid_argument');
    expect((error as MloopError).message).toBe(`unknown algorithm "xgboost": use one of ${FAMILY_NAMES.join(', ')}`);
  });

  it('loads neither TensorFlow.js nor a trainer when serving code reads the registry', async () => {
    for (const entry of ['shared/ml/scorer.ts', 'shared/ml/manifest.ts', 'shared/ml/models/registry.ts']) {
      const files = await loadedAtStart(entry);
      expect(files).toContain(entry);
      expect(tensorflowIn(files)).toEqual([]);
      expect(trainersIn(files)).toEqual([]);
    }
    // manifest parsing checks the algorithm against the registry: the descriptors are loaded, light
    expect(await loadedAtStart('shared/ml/manifest.ts')).toContain('shared/ml/models/registry.ts');
    // not even behind an import(): a serving bundle holds no trainer code at all
    const reachable = await loadedAtStart('shared/ml/models/registry.ts', true);
    expect(tensorflowIn(reachable)).toEqual([]);
    expect(trainersIn(reachable)).toEqual([]);
    // the check can fail: from the trainer table, the trainers and TensorFlow.js are one import() away
    const training = await loadedAtStart('shared/ml/models/trainers.ts', true);
    expect(tensorflowIn(training)).toContain('@tensorflow/tfjs');
    expect(trainersIn(training)).toEqual(expect.arrayContaining(['shared/ml/models/gbdt/train.ts', 'shared/ml/models/network/train.ts', 'shared/ml/models/cnn/train.ts']));
  });
});
