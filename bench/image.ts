import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { evaluateMulticlass } from '../shared/ml/multiclass_metrics';
import { registerFastKernels } from '../shared/ml/tfjs_kernels/register';
import { FASHION_MNIST_CLASSES, readFashionMnist } from './fashion_mnist';

/**
 * Training a small CNN on CPU: TF.js (wasm backend with mloop's fast kernels; the pure-JS cpu backend on
 * a few batches, as the baseline) beside Keras (TensorFlow CPU) with the same architecture, split, epochs,
 * batch size and optimiser, on real images: Fashion-MNIST from Debian's dataset-fashion-mnist package.
 * `npm run bench:image [train_images] [epochs]`, by default 9 000 training images (the first of the
 * train split), 1 000 test images (the first of t10k) and 5 epochs. Each trainer is a child process, one
 * after another, so that peak RSS is its own and they do not share the cores. One JSON line per trainer:
 *
 *   seconds             training only (cpu: extrapolated to all epochs from timed batches, marked so)
 *   accuracy, macro_f1  on the test images, scored by mloop's metrics (Keras's probabilities included)
 *   cpu_seconds         CPU time (user + system) the training took, all threads: on shared cores,
 *                       where wall time depends on the neighbours, the fairer measure of work
 *   peak_rss_mb         of the trainer's process
 *   load_1m             the machine's load average when the run started: the cores are shared
 *
 * Environment: MLOOP_BENCH_VENV (default <tmp>/keras-venv) is created if absent from the wheels in
 * MLOOP_BENCH_WHEELS (default /opt/pypi/files); MLOOP_BENCH_FASHION_MNIST (the IDX files' folder).
 */
const VENV = process.env.MLOOP_BENCH_VENV ?? path.join(os.tmpdir(), 'keras-venv');
const WHEELS = process.env.MLOOP_BENCH_WHEELS ?? '/opt/pypi/files';
const TEST_IMAGES = 1000;
const CPU_BATCHES = 1;
/** Handed to every trainer alike. */
const PARAMS = { batch_size: 64, learning_rate: 0.001, seed: 42 };
type Trainer = 'tfjs_wasm' | 'tfjs_cpu' | 'keras';

const round = (x: number, digits: number) => +x.toFixed(digits);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** conv32-bn-relu-pool, conv64-bn-relu-pool, global average pooling, dense softmax; Keras builds the same. */
function cnn(size: number, classes: number): tf.Sequential {
  const m = tf.sequential();
  const block = (filters: number, first: boolean) => {
    m.add(tf.layers.conv2d({ ...(first ? { inputShape: [size, size, 1] } : {}), filters, kernelSize: 3, padding: 'same', useBias: false }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.reLU());
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  };
  block(32, true);
  block(64, false);
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: classes, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(PARAMS.learning_rate), loss: 'sparseCategoricalCrossentropy' });
  return m;
}

interface Split {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/** A file's bytes as their own ArrayBuffer (small reads share Node's buffer pool). */
const bytes = (file: string): ArrayBuffer => {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};

function load(dir: string, name: 'train' | 'test', size: number): Split {
  const x = new Float32Array(bytes(path.join(dir, `${name}_x.f32`)));
  const y = new Int32Array(bytes(path.join(dir, `${name}_y.i32`)));
  return { x, y, n: x.length / (size * size) };
}

async function runTfjs(backend: 'wasm' | 'cpu', dir: string, size: number, epochs: number) {
  if (backend === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerFastKernels();
  }
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
  tf.randomUniform([1], 0, 1, 'float32', PARAMS.seed).dispose();
  const train = load(dir, 'train', size);
  const test = load(dir, 'test', size);
  const classes = FASHION_MNIST_CLASSES.length;
  const model = cnn(size, classes);
  const x = tf.tensor4d(train.x, [train.n, size, size, 1]);
  const y = tf.tensor1d(train.y, 'float32');
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let scaleUp: number | undefined;
  if (backend === 'cpu') {
    // The pure-JS backend needs about a minute per batch here: time one and scale it to the epochs.
    const batches = Math.ceil(train.n / PARAMS.batch_size);
    for (let b = 0; b < CPU_BATCHES; b++) {
      const [xb, yb] = [x.slice(b * PARAMS.batch_size, PARAMS.batch_size), y.slice(b * PARAMS.batch_size, PARAMS.batch_size)];
      await model.trainOnBatch(xb, yb);
      tf.dispose([xb, yb]);
    }
    scaleUp = (batches * epochs) / CPU_BATCHES;
  } else {
    await model.fit(x, y, { epochs, batchSize: PARAMS.batch_size, shuffle: true, verbose: 0 });
  }
  const cpu = process.cpuUsage(cpuStarted);
  const scale = scaleUp ?? 1;
  const seconds = ((performance.now() - started) / 1000) * scale;
  const cpuSeconds = ((cpu.user + cpu.system) / 1e6) * scale;
  const probabilities = tf.tidy(() => (model.predict(tf.tensor4d(test.x, [test.n, size, size, 1])) as tf.Tensor).dataSync() as Float32Array);
  const metrics = backend === 'cpu' ? null : evaluateMulticlass(test.y, probabilities, classes);
  return {
    seconds,
    cpu_seconds: cpuSeconds,
    accuracy: metrics?.accuracy ?? null,
    macro_f1: metrics?.macro_f1 ?? null,
    peak_rss_mb: peakRssMb(),
    ...(scaleUp !== undefined ? { extrapolated_from_batches: CPU_BATCHES } : {}),
  };
}

const python = () => path.join(VENV, 'bin', 'python');

/** The venv with TensorFlow CPU, built from local wheels when missing; a reason when impossible. */
function ensureVenv(): string | null {
  const works = () => existsSync(python()) && spawnSync(python(), ['-c', 'import tensorflow']).status === 0;
  if (works()) return null;
  if (!existsSync(WHEELS)) return `no wheel folder ${WHEELS} (set MLOOP_BENCH_WHEELS to a folder with tensorflow_cpu-*.whl)`;
  for (const [command, ...args] of [
    ['python3', '-m', 'venv', VENV],
    [path.join(VENV, 'bin', 'pip'), 'install', '--quiet', '--no-index', '--find-links', WHEELS, 'tensorflow-cpu'],
  ]) {
    const result = spawnSync(command, args, { encoding: 'utf8' });
    if (result.status !== 0) return `${command} ${args.join(' ')} failed: ${result.stderr.trim().split('\n').pop()}`;
  }
  return works() ? null : `${VENV} was built but cannot import tensorflow`;
}

function runKeras(dir: string, size: number, epochs: number) {
  const script = path.join(__dirname, '..', '..', 'bench', 'image_reference.py');
  const args = [script, dir, String(size), String(FASHION_MNIST_CLASSES.length), String(epochs), String(PARAMS.batch_size), String(PARAMS.learning_rate), String(PARAMS.seed)];
  const result = spawnSync(python(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error(`the Keras reference failed (exit ${result.status})`);
  const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as { seconds: number; cpu_seconds: number; peak_rss_mb: number; threads: number };
  const test = load(dir, 'test', size);
  const probabilities = new Float32Array(bytes(path.join(dir, 'keras_probabilities.f32')));
  const metrics = evaluateMulticlass(test.y, probabilities, FASHION_MNIST_CLASSES.length);
  return { seconds: out.seconds, cpu_seconds: out.cpu_seconds, accuracy: metrics.accuracy, macro_f1: metrics.macro_f1, peak_rss_mb: out.peak_rss_mb, threads: out.threads };
}

async function child(trainer: Trainer, dir: string, size: number, images: number, epochs: number, load1m: number) {
  const r = trainer === 'keras' ? runKeras(dir, size, epochs) : await runTfjs(trainer === 'tfjs_wasm' ? 'wasm' : 'cpu', dir, size, epochs);
  const line = {
    trainer,
    backend: trainer === 'keras' ? 'tensorflow-cpu' : trainer === 'tfjs_wasm' ? 'wasm+fast-kernels' : 'cpu',
    images,
    epochs,
    seconds: round(r.seconds, 2),
    seconds_per_epoch: round(r.seconds / epochs, 2),
    cpu_seconds: round(r.cpu_seconds, 2),
    accuracy: r.accuracy === null ? null : round(r.accuracy, 4),
    macro_f1: r.macro_f1 === null ? null : round(r.macro_f1, 4),
    peak_rss_mb: r.peak_rss_mb,
    load_1m: load1m,
    ...Object.fromEntries(Object.entries(r).filter(([k]) => !['seconds', 'cpu_seconds', 'accuracy', 'macro_f1', 'peak_rss_mb'].includes(k))),
  };
  console.log(JSON.stringify(line));
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'child') return child(args[0] as Trainer, args[1], Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5]));
  const images = Number(mode ?? 9000);
  const epochs = Number(args[0] ?? 5);
  const trainers = (args[1] ?? 'tfjs_cpu,tfjs_wasm,keras').split(',') as Trainer[];
  const train = readFashionMnist('train', images);
  const test = readFashionMnist('t10k', TEST_IMAGES);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-image-'));
  try {
    for (const [name, split] of [['train', train], ['test', test]] as const) {
      writeFileSync(path.join(dir, `${name}_x.f32`), split.x);
      writeFileSync(path.join(dir, `${name}_y.i32`), split.y);
    }
    const unavailable = trainers.includes('keras') ? ensureVenv() : null;
    for (const trainer of trainers) {
      if (trainer === 'keras' && unavailable) {
        console.log(JSON.stringify({ trainer, images: train.n, epochs, skipped: unavailable }));
        continue;
      }
      const load1m = round(os.loadavg()[0], 2);
      const result = spawnSync(process.execPath, [process.argv[1], 'child', trainer, dir, String(train.size), String(train.n), String(epochs), String(load1m)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`${trainer} failed (exit ${result.status})`);
      process.stdout.write(result.stdout);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
