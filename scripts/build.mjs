// Bundles each entry point with esbuild. Packages stay external: Cloud Functions and the images
// install them from package.json, and native ones (onnxruntime-node, better-sqlite3) cannot be bundled.
// Every deployed function has a bundle of its own, so its cold start loads its own code only;
// dist/meta.json (esbuild's metafile) says which packages each bundle requires, and when.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { build } from 'esbuild';

export const FUNCTIONS = ['on_data_uploaded', 'on_training_requested', 'on_run_slot_freed', 'on_training_completed', 'on_monitoring_tick', 'on_drift_detected', 'on_model_promoted', 'on_table_changed', 'score', 'dashboard'];

const entries = {
  // All of them in one module: what tests and a FUNCTION_SOURCE at the repository load.
  'functions/index': 'functions/index.ts',
  ...Object.fromEntries(FUNCTIONS.map((name) => [`functions/${name}`, `functions/${name}.ts`])),
  'jobs/train': 'jobs/train/main.ts',
  // beside the job: config.ts finds the sweep's worker-thread script next to the job script
  'jobs/trial_worker': 'jobs/train/trial_worker.ts',
  'cli/mloop': 'cli/main.ts',
  // `mloop serve` alone (bin/mloop.js runs it for `serve`): its processes start without the rest of the CLI
  'cli/serve': 'cli/serve_main.ts',
};

const server = await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});
await writeFile('dist/meta.json', JSON.stringify(server.metafile));

// The dashboard runs in the browser: one bundle with its page and stylesheet, which `mloop up` serves.
await build({
  entryPoints: ['dashboard/src/main.ts'],
  outfile: 'dist/dashboard/main.js',
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
await mkdir('dist/dashboard', { recursive: true });
await copyFile('dashboard/index.html', 'dist/dashboard/index.html');
await copyFile('dashboard/src/style.css', 'dist/dashboard/style.css');
