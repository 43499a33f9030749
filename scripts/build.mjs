// Bundles each entry point with esbuild. Packages stay external: Cloud Functions and the job image
// install them from package.json, and native ones (onnxruntime-node, better-sqlite3) cannot be bundled.
import { copyFile, mkdir } from 'node:fs/promises';
import { build } from 'esbuild';

const entries = {
  'functions/index': 'functions/index.ts',
  'jobs/train': 'jobs/train/main.ts',
  // beside the job: config.ts finds the sweep's worker-thread script next to the job script
  'jobs/trial_worker': 'jobs/train/trial_worker.ts',
  'cli/mloop': 'cli/main.ts',
};

await build({
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

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
