// Bundles each entry point with esbuild. Packages stay external: Cloud Functions and the job image
// install them from package.json, and native ones (onnxruntime-node, better-sqlite3) cannot be bundled.
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
