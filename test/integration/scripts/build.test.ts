import fs from 'node:fs';
import path from 'node:path';

/**
 * What a cold start of each deployed bundle loads. esbuild's metafile (dist/meta.json, written by
 * `node scripts/build.mjs`) lists every module a bundle holds and how each imports the next: the
 * packages reached through static imports and requires are the ones Node loads before the function
 * serves; a dynamic import() is loaded only when the code that calls it runs.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..');
const META = path.join(ROOT, 'dist', 'meta.json');
const EVENT_FUNCTIONS = ['on_data_uploaded', 'on_training_requested', 'on_run_slot_freed', 'on_training_completed', 'on_monitoring_tick', 'on_drift_detected', 'on_model_promoted', 'on_table_changed'];
const HEAVY = /^(onnxruntime-node|@tensorflow\/)/;

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>;
  outputs: Record<string, { entryPoint?: string; bytes: number }>;
}

if (!fs.existsSync(META)) throw new Error(`${META} is missing: run node scripts/build.mjs first (npm test does)`);
const meta = JSON.parse(fs.readFileSync(META, 'utf8')) as Metafile;

/** The packages a bundle's entry reaches, through static imports only or through any import. */
function packagesOf(bundle: string, { dynamic }: { dynamic: boolean }): Set<string> {
  const file = bundle.includes('/') ? `dist/${bundle}.js` : `dist/functions/${bundle}.js`;
  const output = meta.outputs[file];
  if (!output?.entryPoint) throw new Error(`${file} is not an entry of the build`);
  const packages = new Set<string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const edge of meta.inputs[file]?.imports ?? []) {
      if (!dynamic && edge.kind === 'dynamic-import') continue;
      if (edge.external) packages.add(edge.path);
      else visit(edge.path);
    }
  };
  visit(output.entryPoint);
  return packages;
}

test('every deployed function has a bundle of its own, holding one entry point', () => {
  for (const name of [...EVENT_FUNCTIONS, 'score', 'dashboard']) {
    const source = fs.readFileSync(path.join(ROOT, 'functions', `${name}.ts`), 'utf8');
    expect(source.match(/functions\.(cloudEvent|http)\(/g)).toHaveLength(1);
    expect(meta.outputs[`dist/functions/${name}.js`]?.entryPoint).toBe(`functions/${name}.ts`);
  }
});

test.each(EVENT_FUNCTIONS)('the %s bundle loads neither onnxruntime-node nor TensorFlow.js when it starts', (name) => {
  const loaded = [...packagesOf(name, { dynamic: false })];
  expect(loaded).toContain('@google-cloud/functions-framework');
  expect(loaded.filter((p) => HEAVY.test(p))).toEqual([]);
});

test("mloop serve's primary, which only forks and supervises, loads none of the scoring code its workers load", () => {
  const primary = [...packagesOf('cli/serve', { dynamic: false })].filter((p) => !p.startsWith('node:'));
  expect(primary.sort()).toEqual(['commander', 'pino', 'prom-client', 'zod']);
  for (const worker of ['better-sqlite3', 'onnxruntime-node', 'sharp']) expect(packagesOf('cli/serve', { dynamic: true })).toContain(worker);
});

test('no function loads the Parquet reader when it starts, only when it reads a Parquet file', () => {
  for (const name of [...EVENT_FUNCTIONS, 'score', 'dashboard']) {
    expect([...packagesOf(name, { dynamic: false })].filter((p) => /^(hyparquet|zstddec)/.test(p))).toEqual([]);
  }
  expect(packagesOf('on_data_uploaded', { dynamic: true })).toContain('hyparquet');
});

test('onTrainingCompleted and score load onnxruntime when they open a model; score never loads TensorFlow.js', () => {
  expect(packagesOf('on_training_completed', { dynamic: true })).toContain('onnxruntime-node');
  expect(packagesOf('score', { dynamic: true })).toContain('onnxruntime-node');
  expect([...packagesOf('score', { dynamic: true })].filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
});

test('score keeps sharp, which decodes uploaded images, external and loaded at the first image: the image installs its native prebuilt (see functions/score.Dockerfile)', () => {
  expect(packagesOf('score', { dynamic: true })).toContain('sharp');
  expect(packagesOf('score', { dynamic: false })).not.toContain('sharp');
  const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'functions', 'score.js'), 'utf8');
  // loaded at the first image (sharp_loader.ts): a table's score function never pays for libvips
  expect(bundle).toMatch(/import\("sharp"\)/);
  // bundled (esbuild marks each module it takes in with its path), sharp would look for its native
  // binding beside dist/functions/, where nothing installs it
  expect(bundle).not.toMatch(/node_modules\/sharp\//);
  expect(bundle).toMatch(/\/\/ shared\/data\/images\/preprocess\.ts/);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  expect(pkg.dependencies.sharp).toEqual(expect.any(String));
});
