import fs from 'node:fs';
import path from 'node:path';

/**
 * The train job's image cannot be built here (no Docker engine; Cloud Build builds it), so its
 * Dockerfile is read for what the job depends on: a CUDA base tfjs-node-gpu can load, tfjs-node-gpu
 * itself, the production dependencies, the bundle, the entry point, and a user other than root.
 */
const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const dockerfile = fs.readFileSync(path.join(ROOT, 'jobs', 'train', 'Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Instructions with continuation lines joined and comments dropped, stage by stage. */
function stages(): Instruction[][] {
  const logical = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const result: Instruction[][] = [];
  for (const line of logical) {
    const [, op, args] = /^(\w+)\s+(.*)$/.exec(line) ?? [];
    if (!op) throw new Error(`cannot read Dockerfile line: ${line}`);
    if (op.toUpperCase() === 'FROM') result.push([]);
    if (op.toUpperCase() === 'ARG' && result.length === 0) continue;
    result[result.length - 1].push({ op: op.toUpperCase(), args });
  }
  return result;
}

const argDefault = (name: string) => new RegExp(`^ARG ${name}=(\\S+)$`, 'm').exec(dockerfile)?.[1];
const finalStage = () => stages()[stages().length - 1];
const from = (stage: Instruction[]) => stage[0].args.split(/\s+/)[0].replace(/^\$\{(\w+)\}$/, (_, name: string) => argDefault(name) ?? name);

test('the runtime derives from a CUDA 11 image with cuDNN 8, which libtensorflow 2.9 (tfjs-node-gpu 4.22) loads', () => {
  const base = from(stages().find((stage) => /\bAS base$/i.test(stage[0].args))!);
  expect(base).toMatch(/^nvidia\/cuda:11\.\d+\.\d+-cudnn8-runtime-ubuntu\d+\.\d+$/);
  expect(finalStage()[0].args).toMatch(/^base$/);
});

test('Node 20 is installed', () => {
  expect(stages()[0][0].args).toMatch(/^node:20[-.\w]* AS node$/i);
  const base = stages().find((stage) => /\bAS base$/i.test(stage[0].args))!;
  expect(base.filter((i) => i.op === 'COPY').map((i) => i.args)).toContainEqual('--from=node /usr/local/bin/node /usr/local/bin/node');
});

test('production dependencies and tfjs-node-gpu matching the tfjs version of the package are installed', () => {
  const runs = stages().flat().filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
  expect(runs).toMatch(/npm ci --omit=dev/);
  const gpu = /npm install [^\n]*--omit=dev[^\n]*@tensorflow\/tfjs-node-gpu@(\d+\.\d+\.\d+)/.exec(runs);
  expect(gpu).not.toBeNull();
  const tfjs = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['@tensorflow/tfjs'];
  expect(tfjs.replace(/^[\^~]/, '')).toBe(gpu![1]);
  expect(dockerfile).toMatch(/ENV ONNXRUNTIME_NODE_INSTALL=skip/);
});

test('the final image holds the bundle and runs the train job as a user other than root', () => {
  const final = finalStage();
  expect(final.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual(
    expect.arrayContaining(['--from=deps /app/node_modules ./node_modules', 'dist/ ./dist/']),
  );
  const users = final.filter((i) => i.op === 'USER').map((i) => i.args);
  expect(users).toHaveLength(1);
  expect(users[0]).not.toMatch(/^(root|0)(:|$)/);
  const entry = final.filter((i) => i.op === 'ENTRYPOINT' || i.op === 'CMD');
  expect(entry).toEqual([{ op: 'ENTRYPOINT', args: '["node", "dist/jobs/train.js"]' }]);
  expect(final.findIndex((i) => i.op === 'USER')).toBeLessThan(final.findIndex((i) => i.op === 'ENTRYPOINT'));
});

test('the entry point is what the build produces', () => {
  const build = fs.readFileSync(path.join(ROOT, 'scripts', 'build.mjs'), 'utf8');
  expect(build).toMatch(/'jobs\/train': 'jobs\/train\/main\.ts'/);
});

test('the build context sends the bundle and the package files, and Cloud Build builds this Dockerfile', () => {
  const ignore = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  expect(ignore[0]).toBe('*');
  expect(ignore).toEqual(expect.arrayContaining(['!package.json', '!package-lock.json', '!.npmrc', '!dist/', '!bin/']));
  const cloudbuild = fs.readFileSync(path.join(ROOT, 'cloudbuild.yaml'), 'utf8');
  expect(cloudbuild).toMatch(/args: \['run', 'build'\]/);
  expect(cloudbuild).toMatch(/'-f', 'jobs\/train\/Dockerfile'/);
});
