import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import autocannon from 'autocannon';
import sharp from 'sharp';
import * as yazl from 'yazl';
import { configFor } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import type { ImageSpec, ImageTrainingData } from '../shared/data/images/image_spec';
import { evaluateImages } from '../shared/ml/image_metrics';
import { trainCnn } from '../shared/ml/models/cnn/train';
import { taskMetric } from '../shared/ml/task_metric';
import { imageVersionFiles } from '../shared/pipeline/artifacts/image_version_files';
import { openScorer } from '../shared/pipeline/artifacts/model_files';
import type { Context } from '../shared/pipeline/context';
import { installVersion } from '../shared/pipeline/usecases/install_version';
import { createPlatform } from '../shared/platform';
import { FASHION_MNIST_CLASSES, readFashionMnist, type ImageSet } from './fashion_mnist';

/**
 * Training and scoring a small CNN on CPU, on real images: Fashion-MNIST from Debian's
 * dataset-fashion-mnist package. `npm run bench:image [train_images] [epochs] [trainers] [seeds]`, by
 * default 9 000 training images (the first of the train split), the next 1 000 as the validation split (the best
 * epoch's weights are kept, by validation loss, by both trainers), 1 000 test images (the first of t10k)
 * and 5 epochs, seed 42 (trainers `none`: only the end-to-end run and scoring; `42,1,2` trains each trainer once per seed and ends with the mean accuracies, as
 * one seed's accuracy varies more than the trainers' differ). Each trainer is a child process, one after another, so that peak RSS is its own and they do
 * not share the cores:
 *
 *   mloop     the product's cnn family (trainCnn: the job's backend chain from 'wasm' on, with the fast
 *             kernels it registers), augmentation and class weights off, as Keras has none
 *   tfjs_cpu  the same trainer on the pure-JS cpu backend, on one batch, extrapolated (the baseline)
 *   keras     TensorFlow CPU building the same network (bench/image_reference.py)
 *
 * One JSON line per trainer:
 *   seconds             training, validation each epoch included (cpu: extrapolated, marked so)
 *   accuracy, macro_f1  on the test images, scored by mloop's metrics (Keras's probabilities included)
 *   cpu_seconds         CPU time (user + system) the training took, all threads: on shared cores,
 *                       where wall time depends on the neighbours, the fairer measure of work
 *   peak_rss_mb         of the trainer's process
 *   load_1m             the machine's load average when the run started: the cores are shared
 * then the end-to-end line (the images as a PNG archive through `mloop train`), and scoring: the version mloop
 * trained, installed in a local home, scored in process through the product's scorer (a PNG decoded and
 * resized by preprocessImage, then onnxruntime) one image and 32 at a time, and over HTTP against
 * `mloop serve`'s /predict/<model> with a PNG body at concurrency 16.
 *
 * Environment: MLOOP_BENCH_VENV (default <tmp>/keras-venv) is created if absent from the wheels in
 * MLOOP_BENCH_WHEELS (default /opt/pypi/files); MLOOP_BENCH_FASHION_MNIST (the IDX files' folder);
 * MLOOP_BENCH_SECONDS (10), the duration of the HTTP load.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'mloop.js');
const VENV = process.env.MLOOP_BENCH_VENV ?? path.join(os.tmpdir(), 'keras-venv');
const WHEELS = process.env.MLOOP_BENCH_WHEELS ?? '/opt/pypi/files';
const HTTP_SECONDS = Number(process.env.MLOOP_BENCH_SECONDS ?? 10);
const VALIDATION_IMAGES = 1000;
const TEST_IMAGES = 1000;
/** The pure-JS backend needs about a minute per batch: one batch, timed and scaled to the epochs. */
const CPU_IMAGES = 64;
const MODEL = 'fashion';
/**
 * Handed to every trainer alike: two blocks of 16 and 32 filters flattened into the softmax layer reach
 * Keras' 0.88 on this split in 5 epochs (with global average pooling the same blocks stay near 0.78).
 */
const PARAMS = { filters: [16, 32], head: 'flatten', dropout: 0, batch_size: 64, learning_rate: 0.001, seed: 42 };
/** What Keras has no counterpart of here, switched off; patience 0: every epoch trains, the best is kept. */
const MLOOP_ONLY = { augment: false, class_weight: 'none', patience: 0 };
type Trainer = 'mloop' | 'tfjs_cpu' | 'keras';

const round = (x: number, digits: number) => +x.toFixed(digits);
const peakRssMb = () => Math.round(process.resourceUsage().maxRSS / 1024);
const load1m = () => round(os.loadavg()[0], 2);
const emit = (line: Record<string, unknown>) => console.log(JSON.stringify({ ...line, load_1m: load1m() }));
const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];

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

type SplitName = 'train' | 'validation' | 'test';
function load(dir: string, name: SplitName, size: number): Split {
  const x = new Float32Array(bytes(path.join(dir, `${name}_x.f32`)));
  const y = new Int32Array(bytes(path.join(dir, `${name}_y.i32`)));
  return { x, y, n: x.length / (size * size) };
}

const specOf = (size: number): ImageSpec => ({ size, channels: 1, layout: 'NHWC', scale: 1 / 255 });

/** One test image as a client sends it: a grey PNG of the original bytes. */
function png(test: Split, i: number, size: number): Promise<Buffer> {
  const pixels = Buffer.from(Array.from(test.x.subarray(i * size * size, (i + 1) * size * size), (v) => Math.round(v * 255)));
  return sharp(pixels, { raw: { width: size, height: size, channels: 1 } }).png().toBuffer();
}

async function runMloop(backend: 'wasm' | 'cpu', dir: string, size: number, epochs: number, seed: number) {
  const spec = specOf(size);
  let train = load(dir, 'train', size);
  let validation = load(dir, 'validation', size);
  const test = load(dir, 'test', size);
  const pixels = size * size;
  const first = (s: Split, n: number): Split => ({ x: s.x.subarray(0, n * pixels), y: s.y.subarray(0, n), n });
  const fullImages = train.n;
  if (backend === 'cpu') [train, validation] = [first(train, CPU_IMAGES), first(validation, 8)];
  const data: ImageTrainingData = { spec, classes: FASHION_MNIST_CLASSES, train, validation, test };
  const params = { ...PARAMS, ...MLOOP_ONLY, epochs: backend === 'cpu' ? 1 : epochs, backend, seed };
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const epochSeconds: number[] = [];
  const trained = await trainCnn(data, params, (p) => {
    epochSeconds.push(p.seconds);
  });
  const cpu = process.cpuUsage(cpuStarted);
  // the cpu run: its one epoch of one batch scaled to every batch of every epoch
  const scale = backend === 'cpu' ? (fullImages / CPU_IMAGES) * epochs : 1;
  const seconds = backend === 'cpu' ? epochSeconds[0] * scale : (performance.now() - started) / 1000;
  const probabilities = trained.predict(test.x, test.n);
  const evaluation = evaluateImages(test.y, probabilities, FASHION_MNIST_CLASSES);
  if (backend === 'wasm') {
    // the version, as the train job writes it, for the scoring measurements
    const holdout = await Promise.all(Array.from({ length: 32 }, async (_, i) => ({ label: FASHION_MNIST_CLASSES[test.y[i]], record: { b64: (await png(test, i, size)).toString('base64') } })));
    const plan = { algorithm: 'cnn', params, metric: taskMetric('multiclass') };
    const info = { model: MODEL, version: 'v1', run_id: 'bench', dataset: { version: 'fashion-mnist', uri: 'fashion-mnist' }, created_at: new Date().toISOString() };
    const { files } = imageVersionFiles(data, { trained, evaluation, test: probabilities }, plan, holdout, info);
    mkdirSync(path.join(dir, 'model'), { recursive: true });
    for (const f of files) writeFileSync(path.join(dir, 'model', f.name), f.data);
  }
  return {
    backend: trained.backend,
    seconds,
    cpu_seconds: ((cpu.user + cpu.system) / 1e6) * scale,
    accuracy: backend === 'cpu' ? null : evaluation.metrics.accuracy,
    macro_f1: backend === 'cpu' ? null : evaluation.metrics.macro_f1,
    peak_rss_mb: peakRssMb(),
    best_epoch: trained.bestIteration,
    ...(trained.skippedBackends.length > 0 ? { skipped_backends: trained.skippedBackends.map((s) => s.name) } : {}),
    ...(backend === 'cpu' ? { extrapolated_from_images: CPU_IMAGES } : {}),
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

function runKeras(dir: string, size: number, epochs: number, seed: number) {
  const script = path.join(ROOT, 'bench', 'image_reference.py');
  const args = [script, dir, String(size), String(FASHION_MNIST_CLASSES.length), String(epochs), JSON.stringify({ ...PARAMS, seed })];
  // TF_CPP_MIN_LOG_LEVEL 3: TensorFlow's start-up notices stay off the bench's output
  const result = spawnSync(python(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' } });
  if (result.status !== 0) throw new Error(`the Keras reference failed (exit ${result.status})`);
  const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as { seconds: number; cpu_seconds: number; peak_rss_mb: number; threads: number; best_epoch: number };
  const test = load(dir, 'test', size);
  const probabilities = new Float32Array(bytes(path.join(dir, 'keras_probabilities.f32')));
  const { metrics } = evaluateImages(test.y, probabilities, FASHION_MNIST_CLASSES);
  return { backend: 'tensorflow-cpu', seconds: out.seconds, cpu_seconds: out.cpu_seconds, accuracy: metrics.accuracy, macro_f1: metrics.macro_f1, peak_rss_mb: out.peak_rss_mb, best_epoch: out.best_epoch, threads: out.threads };
}

async function child(trainer: Trainer, dir: string, size: number, images: number, epochs: number, startLoad: number, seed: number) {
  const r = trainer === 'keras' ? runKeras(dir, size, epochs, seed) : await runMloop(trainer === 'mloop' ? 'wasm' : 'cpu', dir, size, epochs, seed);
  const { backend, seconds, cpu_seconds, accuracy, macro_f1, peak_rss_mb, ...rest } = r;
  console.log(
    JSON.stringify({
      trainer,
      backend,
      images,
      epochs,
      seed,
      seconds: round(seconds, 2),
      seconds_per_epoch: round(seconds / epochs, 2),
      cpu_seconds: round(cpu_seconds, 2),
      accuracy: accuracy === null ? null : round(accuracy, 4),
      macro_f1: macro_f1 === null ? null : round(macro_f1, 4),
      peak_rss_mb,
      load_1m: startLoad,
      ...rest,
    }),
  );
}

/**
 * End to end, as a user trains: the training images as a zip of <class>/<n>.png folders, trained by
 * `mloop train <archive> --json` in a child process (scan, decode, split, train, evaluate, write the
 * version), with the bench's parameters and image size. Wall seconds and the accuracy it reports on its
 * own test split; or, where the command cannot take an archive, its refusal.
 */
async function endToEnd(dir: string, train: ImageSet, epochs: number): Promise<void> {
  const archive = path.join(dir, 'fashion.zip');
  const zip = new yazl.ZipFile();
  const written = pipeline(zip.outputStream, createWriteStream(archive));
  for (let i = 0; i < train.n; i++) zip.addBuffer(await png(train, i, train.size), `${FASHION_MNIST_CLASSES[train.y[i]].replace('/', '-')}/${i}.png`, { compress: false });
  zip.end();
  await written;
  const startLoad = load1m();
  const started = performance.now();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: path.join(dir, 'e2e-home'), MLOOP_LOG_LEVEL: 'warn' };
  const params = JSON.stringify({ ...PARAMS, ...MLOOP_ONLY, epochs });
  const args = [CLI, 'train', archive, '--algorithm', 'cnn', '--image-size', String(train.size), '--channels', '1', '--params', params, '--out', path.join(dir, 'e2e-model'), '--json'];
  const result = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  const line = { bench: 'end_to_end', command: 'mloop train <archive> --json', images: train.n, epochs, archive_mb: round(statSync(archive).size / 2 ** 20, 1) };
  if (result.status !== 0) {
    const reason = (result.stderr || result.stdout).trim().split('\n').pop();
    console.log(JSON.stringify({ ...line, skipped: `mloop train cannot train the image archive here: ${reason}`, load_1m: startLoad }));
    return;
  }
  // its own stratified split of the archive (80 / 10 / 10), so its test images are not the trainers' above
  const out = JSON.parse(result.stdout.trim().split('\n').pop()!) as { backend: string; rows: number; metrics: Record<string, number> };
  console.log(JSON.stringify({ ...line, backend: out.backend, seconds: round(seconds, 1), accuracy: round(out.metrics.accuracy, 4), macro_f1: round(out.metrics.macro_f1, 4), load_1m: startLoad }));
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** In process: the product's scorer, as the model server calls it, on PNG bytes. */
async function scoreInProcess(home: string, pngs: Buffer[]): Promise<void> {
  const config = configFor(home);
  const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  const scorer = await openScorer(ctx, MODEL, 'v1');
  try {
    const single = async (calls: number) => {
      const times = new Float64Array(calls);
      for (let i = 0; i < calls; i++) {
        const started = performance.now();
        const result = await scorer.predict([{ bytes: pngs[i % pngs.length] }]);
        times[i] = performance.now() - started;
        if (!result.ok) throw new Error(JSON.stringify(result.errors));
      }
      return times.sort();
    };
    await single(500);
    const cpu = process.cpuUsage();
    const times = await single(5000);
    const spent = process.cpuUsage(cpu);
    const cpuMs = (spent.user + spent.system) / 1000;
    emit({ bench: 'score_in_process', images_per_call: 1, calls: times.length, p50_ms: round(quantile(times, 0.5), 3), p99_ms: round(quantile(times, 0.99), 3), cpu_ms_per_image: round(cpuMs / times.length, 3) });
    const batch = pngs.slice(0, 32).map((b) => ({ bytes: b }));
    await scorer.predict(batch);
    const batchTimes: number[] = [];
    const batchCpu = process.cpuUsage();
    const started = performance.now();
    while (performance.now() - started < 3000) {
      const t = performance.now();
      await scorer.predict(batch);
      batchTimes.push(performance.now() - t);
    }
    const spentOnBatches = process.cpuUsage(batchCpu);
    const sorted = Float64Array.from(batchTimes).sort();
    emit({
      bench: 'score_in_process',
      images_per_call: 32,
      calls: sorted.length,
      p50_ms: round(quantile(sorted, 0.5), 3),
      p99_ms: round(quantile(sorted, 0.99), 3),
      images_per_s: Math.round((sorted.length * 32) / ((performance.now() - started) / 1000)),
      cpu_ms_per_image: round((spentOnBatches.user + spentOnBatches.system) / 1000 / (sorted.length * 32), 3),
    });
  } finally {
    await scorer.release();
    await ctx.platform.close();
  }
}

/**
 * CPU seconds of a process and its descendants so far, from /proc (Linux): the server's own work per
 * image, which the neighbours on shared cores do not inflate as they inflate its wall time.
 */
function treeCpuSeconds(root: number): number {
  const stats = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        // the fields after the command's closing parenthesis: state, ppid, …, utime (14th field), stime (15th)
        const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        return [{ pid: Number(pid), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }];
      } catch {
        return [];
      }
    });
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of stats) {
      if (tree.has(p.ppid) && !tree.has(p.pid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return stats.filter((p) => tree.has(p.pid)).reduce((sum, p) => sum + p.ticks, 0) / 100;
}

async function stop(server: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  process.kill(-server.pid!, 'SIGTERM');
  await exited;
}

/** Over HTTP: `mloop serve` (one worker per core, prediction log on) and autocannon, PNG bodies. */
async function scoreHttp(home: string, pngs: Buffer[], connections: number, logged: boolean): Promise<void> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/predict/${MODEL}`;
  const workers = os.availableParallelism();
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'warn', MLOOP_PREDICTION_SAMPLE: logged ? '1' : '0' };
  const server = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--workers', String(workers)], { env, stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  try {
    for (const deadline = Date.now() + 60_000; ; ) {
      if (server.exitCode !== null) throw new Error(`mloop serve exited ${server.exitCode}`);
      if (Date.now() > deadline) throw new Error('mloop serve did not answer within a minute');
      const ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: new Uint8Array(pngs[0]) }).then(
        (r) => r.arrayBuffer().then(() => r.status === 200),
        () => false,
      );
      if (ok) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const options = { url, method: 'POST' as const, headers: { 'content-type': 'image/png' }, connections, pipelining: 1, requests: pngs.slice(0, 16).map((body) => ({ body })) };
    await autocannon({ ...options, duration: 2 });
    const latencies: number[] = [];
    const startLoad = load1m();
    const cpuBefore = treeCpuSeconds(server.pid!);
    const result = await new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon({ ...options, duration: HTTP_SECONDS }, (err, done) => (err ? reject(err) : resolve(done)));
      instance.on('response', (_client, status, _bytes, ms) => {
        if (status === 200) latencies.push(ms);
      });
    });
    const serverCpu = treeCpuSeconds(server.pid!) - cpuBefore;
    const sorted = Float64Array.from(latencies).sort();
    console.log(
      JSON.stringify({
        bench: 'score_http',
        route: `/predict/${MODEL}`,
        body: 'image/png',
        workers,
        concurrency: connections,
        prediction_log: logged ? 'every request' : 'off',
        images_per_s: Math.round(result.requests.total / (result.duration || HTTP_SECONDS)),
        p50_ms: round(quantile(sorted, 0.5), 3),
        p99_ms: round(quantile(sorted, 0.99), 3),
        errors: result.errors + result.timeouts + result.non2xx,
        // what the server spent per image, and what that makes of the machine's cores had it them to itself
        server_cpu_ms_per_image: round((serverCpu * 1000) / result.requests.total, 3),
        images_per_s_if_cores_idle: Math.round((os.availableParallelism() * result.requests.total) / serverCpu),
        load_1m: startLoad,
      }),
    );
  } finally {
    await stop(server);
  }
}

async function scoring(dir: string, model: string, test: ImageSet): Promise<void> {
  const home = path.join(dir, 'home');
  const config = configFor(home);
  const ctx: Context = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  await installVersion(ctx, MODEL, 'v1', model);
  await ctx.platform.close();
  const pngs = await Promise.all(Array.from({ length: 256 }, (_, i) => png(test, i, test.size)));
  await scoreInProcess(home, pngs);
  await scoreHttp(home, pngs, 16, true);
  await scoreHttp(home, pngs, 16, false);
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'child') return child(args[0] as Trainer, args[1], Number(args[2]), Number(args[3]), Number(args[4]), Number(args[5]), Number(args[6]));
  const images = Number(mode ?? 9000);
  const epochs = Number(args[0] ?? 5);
  // `none`: only the end-to-end training and the scoring lines
  const trainers = (args[1] ?? 'tfjs_cpu,mloop,keras').split(',').filter((t) => t !== 'none') as Trainer[];
  // one seed is one draw: 1 000 test images alone give a standard error of 0.01 on accuracy
  const seeds = (args[2] ?? String(PARAMS.seed)).split(',').map(Number);
  const all = readFashionMnist('train', images + VALIDATION_IMAGES);
  const pixels = all.size * all.size;
  const part = (from: number, to: number): ImageSet => ({ x: all.x.subarray(from * pixels, to * pixels), y: all.y.subarray(from, to), n: to - from, size: all.size });
  const train = part(0, Math.min(images, all.n - VALIDATION_IMAGES));
  const validation = part(train.n, all.n);
  const test = readFashionMnist('t10k', TEST_IMAGES);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mloop-bench-image-'));
  try {
    for (const [name, split] of [['train', train], ['validation', validation], ['test', test]] as const) {
      writeFileSync(path.join(dir, `${name}_x.f32`), split.x);
      writeFileSync(path.join(dir, `${name}_y.i32`), split.y);
    }
    const unavailable = trainers.includes('keras') ? ensureVenv() : null;
    const accuracies: Partial<Record<Trainer, number[]>> = {};
    for (const seed of seeds) {
      // the pure-JS backend is the baseline of speed only: one seed of it is enough
      for (const trainer of trainers.filter((t) => t !== 'tfjs_cpu' || seed === seeds[0])) {
        if (trainer === 'keras' && unavailable) {
          console.log(JSON.stringify({ trainer, images: train.n, epochs, seed, skipped: unavailable }));
          continue;
        }
        const result = spawnSync(process.execPath, [process.argv[1], 'child', trainer, dir, String(train.size), String(train.n), String(epochs), String(load1m()), String(seed)], {
          stdio: ['ignore', 'pipe', 'inherit'],
          encoding: 'utf8',
        });
        if (result.status !== 0) throw new Error(`${trainer} failed (exit ${result.status})`);
        process.stdout.write(result.stdout);
        const accuracy = (JSON.parse(result.stdout.trim().split('\n').pop()!) as { accuracy: number | null }).accuracy;
        if (accuracy !== null) (accuracies[trainer] ??= []).push(accuracy);
      }
    }
    const mean = (xs: number[] | undefined) => (xs && xs.length > 0 ? round(xs.reduce((a, b) => a + b, 0) / xs.length, 4) : null);
    const [m, k] = [mean(accuracies.mloop), mean(accuracies.keras)];
    if (seeds.length > 1 && m !== null && k !== null) console.log(JSON.stringify({ bench: 'accuracy_over_seeds', seeds, mloop_mean: m, keras_mean: k, gap: round(k - m, 4), mloop: accuracies.mloop, keras: accuracies.keras }));
    await endToEnd(dir, train, epochs);
    // the wasm trainer's version, else the one `mloop train` wrote end to end
    const model = ['model', 'e2e-model'].map((m) => path.join(dir, m)).find((m) => existsSync(path.join(m, 'manifest.json')));
    if (model) await scoring(dir, model, test);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
