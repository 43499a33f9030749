import * as tfjs from '@tensorflow/tfjs';
import { errorMessage } from '../../../core/errors';
import { registerFastKernels } from '../../tfjs_kernels/register';

/**
 * Picks the fastest TensorFlow.js backend this machine has. The native ones exist only in the GPU
 * training image (their install downloads libtensorflow, impossible here), so they are looked up at run
 * time and everything falls back step by step to pure JavaScript, which always works.
 */
export type Tf = typeof tfjs;
export type BackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface SelectedBackend {
  name: BackendName;
  tf: Tf;
  /** Backends tried before this one, and why each was passed over. */
  skipped: Array<{ name: BackendName; reason: string }>;
}

/** From fastest to the one that always works. */
export const BACKEND_CHAIN: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];
const NATIVE_PACKAGE: Partial<Record<BackendName, string>> = {
  'node-gpu': '@tensorflow/tfjs-node-gpu',
  node: '@tensorflow/tfjs-node',
};

// A name held in a variable keeps esbuild from trying to resolve packages absent at build time.
const requireAtRunTime = (name: string): unknown => require(name);

async function activate(name: BackendName): Promise<Tf> {
  const pkg = NATIVE_PACKAGE[name];
  if (pkg) {
    const tf = requireAtRunTime(pkg) as Tf;
    if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg} loaded but its backend did not initialise`);
    return tf;
  }
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    // the wasm backend lacks the convolution filter gradient and is slow at a few others: without these
    // a CNN passes it over for the pure-JS backend, hundreds of times slower
    registerFastKernels();
  }
  if (!(await tfjs.setBackend(name))) throw new Error(`the ${name} backend did not initialise`);
  return tfjs;
}

async function select(preference: BackendPreference): Promise<SelectedBackend> {
  const skipped: SelectedBackend['skipped'] = [];
  const start = preference === 'auto' ? 0 : BACKEND_CHAIN.indexOf(preference);
  for (const name of BACKEND_CHAIN.slice(start)) {
    try {
      const tf = await activate(name);
      await tf.ready();
      return { name, tf, skipped };
    } catch (err) {
      skipped.push({ name, reason: errorMessage(err).split('\n')[0] });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${JSON.stringify(skipped)}`);
}

let current: { preference: BackendPreference; selection: Promise<SelectedBackend> } | null = null;

/**
 * The preference is where the search starts, not a demand: a job configured for the GPU still trains,
 * slower, on a machine without one. The answer is remembered, as the TensorFlow.js backend is global.
 */
export function selectBackend(preference: BackendPreference): Promise<SelectedBackend> {
  if (current?.preference !== preference) current = { preference, selection: select(preference) };
  return current.selection;
}
