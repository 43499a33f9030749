/**
 * @jest-environment ./test/support/native_arrays_environment.js
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http, { type Server } from 'node:http';
import path from 'node:path';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import fc from 'fast-check';
import * as ort from 'onnxruntime-node';
import { loadConfig } from '../../../shared/core/config';
import { createLogger } from '../../../shared/core/log';
import { ColumnStore } from '../../../shared/data/column_store';
import { readCsv } from '../../../shared/data/csv';
import { encodeColumns } from '../../../shared/data/training_matrix';
import type { ColumnKind } from '../../../shared/data/schema';
import type { Manifest } from '../../../shared/ml/manifest';
import type { Context } from '../../../shared/pipeline/context';
import { createPlatform } from '../../../shared/platform';
import { CLI, tempHome } from '../../e2e/helpers';
import { installVersion } from '../../../shared/pipeline/usecases/install_version';

/**
 * What was trained on is what scoring takes: training files with generated columns of every kind mloop
 * infers (numbers with a stray word among them too) are trained on with `mloop train`, then their own rows, verbatim as strings and as the JSON
 * types a client would send, are scored over HTTP on /score, KServe V1 and Open Inference V2, and
 * must get exactly what the model gives on the trainer's own encoding of those rows.
 */
jest.setTimeout(120_000);

const home = tempHome('mloop-training-rows-');
Object.assign(process.env, { MLOOP_HOME: home, MLOOP_LOG_LEVEL: 'silent' });
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../../functions/index');

let ctx: Context;
let server: Server;
let base: string;

beforeAll(async () => {
  const config = loadConfig();
  ctx = { config, log: createLogger('silent'), platform: createPlatform(config, createLogger('silent')) };
  server = getTestServer('score');
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await ctx.platform.close();
  fs.rmSync(home, { recursive: true, force: true });
});

// ------------------------------------------------------------------ generated training files

type Json = number | string | boolean | null;

interface GeneratedColumn {
  /** The kind mloop must infer from the cells. */
  kind: Exclude<ColumnKind, 'dropped'>;
  /** Each row's cell as written to the file; '' is missing. */
  cells: string[];
  /** The same value as a client sends it in JSON. */
  json: (cell: string) => Json;
}

const ROWS = 150;
const WORD_PAIRS = [
  ['yes', 'no'],
  ['True', 'False'],
  ['true', 'false'],
  ['Y', 'N'],
] as const;
const CATEGORIES = ['red', 'green', 'blue', 'dark grey', 'Ünïcode'];

const number = (cell: string) => (cell === '' ? null : Number(cell));

/** Cells from `spell` over generated values, some left empty, the first two always present and different. */
const cells = <T>(values: fc.Arbitrary<T>, distinct: [T, T], spell: fc.Arbitrary<(v: T) => string>) =>
  fc
    .tuple(fc.array(fc.tuple(values, fc.integer({ min: 0, max: 9 })), { minLength: ROWS - 2, maxLength: ROWS - 2 }), spell)
    .map(([rest, write]) => [write(distinct[0]), write(distinct[1]), ...rest.map(([v, blank]) => (blank === 0 ? '' : write(v)))]);

const integers: fc.Arbitrary<GeneratedColumn> = cells(
  fc.integer({ min: -50, max: 5000 }),
  [3, 40],
  // "12" or "12.0": an integer column as a spreadsheet may save it
  fc.constantFrom((v: number) => String(v), (v: number) => `${v}.0`, (v: number) => (v % 2 === 0 ? `${v}.0` : String(v))),
).map((c) => ({ kind: 'numeric', cells: c, json: number }));

const decimals: fc.Arbitrary<GeneratedColumn> = cells(
  fc.integer({ min: -100_000, max: 100_000 }),
  [1, 250],
  fc.constantFrom((v: number) => (v / 100).toFixed(2), (v: number) => String(v / 8), (v: number) => ` ${(v / 10).toFixed(1)}`),
).map((c) => ({ kind: 'numeric', cells: c, json: number }));

// up to 1 % of a numeric column may be words, which training reads as missing
const withWord: fc.Arbitrary<GeneratedColumn> = fc
  .tuple(integers, fc.constantFrom('n/a', '?', 'unknown', '-'), fc.integer({ min: 2, max: ROWS - 1 }))
  .map(([column, word, at]) => ({
    ...column,
    cells: column.cells.map((c, i) => (i === at ? word : c)),
    json: (cell: string) => (cell === '' || Number.isNaN(Number(cell)) ? null : Number(cell)),
  }));

const zeroOne: fc.Arbitrary<GeneratedColumn> = cells(fc.constantFrom(0, 1), [0, 1], fc.constant((v: number) => String(v))).map((c) => ({
  kind: 'numeric',
  cells: c,
  json: number,
}));

const words: fc.Arbitrary<GeneratedColumn> = fc.constantFrom(...WORD_PAIRS).chain(([yes, no]) =>
  cells(fc.boolean(), [true, false], fc.constant((v: boolean) => (v ? yes : no))).map((c) => ({
    kind: 'boolean' as const,
    cells: c,
    json: (cell: string) => (cell === '' ? null : cell === yes),
  })),
);

const categories: fc.Arbitrary<GeneratedColumn> = cells(fc.constantFrom(...CATEGORIES), [CATEGORIES[0], CATEGORIES[1]], fc.constant((v: string) => v)).map(
  (c) => ({ kind: 'categorical', cells: c, json: (cell: string) => (cell === '' ? null : cell) }),
);

const KINDS = { integers, decimals, withWord, zeroOne, words, categories };

type Name = keyof typeof KINDS;

/** Every kind in every file, in a generated order, with up to three more columns of any kind. */
const table = fc
  .tuple(
    fc.shuffledSubarray(Object.keys(KINDS) as Name[], { minLength: 6, maxLength: 6 }),
    fc.array(fc.constantFrom(...(Object.keys(KINDS) as Name[])), { maxLength: 3 }),
    fc.array(fc.boolean(), { minLength: ROWS, maxLength: ROWS }),
  )
  .chain(([all, extra, labels]) =>
    fc.tuple(...[...all, ...extra].map((k) => KINDS[k].map((column) => ({ ...column, name: `${k}_${column.kind}` })))).map((columns) => ({
      columns: columns.map((c, i) => ({ ...c, name: `f${i}_${c.name}` })),
      // both classes, whatever the draw
      labels: labels.map((l, i) => (i < 6 ? i % 2 : Number(l))),
    })),
  );

type Table = { columns: Array<GeneratedColumn & { name: string }>; labels: number[] };

const quote = (cell: string) => (/[",\n\r]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);

function csvOf(t: Table): string {
  const header = [...t.columns.map((c) => c.name), 'label'];
  const lines = t.labels.map((label, r) => [...t.columns.map((c) => quote(c.cells[r])), String(label)].join(','));
  return [header.join(','), ...lines].join('\n') + '\n';
}

// ------------------------------------------------------------------ training and the trainer's own predictions

function train(csv: string, out: string): Manifest {
  const args = [CLI, 'train', csv, '--target', 'label', '--algorithm', 'gbdt', '--params', '{"num_iterations":8,"min_data_in_leaf":3}', '--out', out, '--json'];
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_LOG_LEVEL: 'warn' } });
  if (result.status !== 0) throw new Error(`mloop train failed\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
}

/** P(positive) for every row of the file, encoded the way the train job encodes it: from the bytes, column by column. */
async function trainerScores(csv: string, dir: string, manifest: Manifest): Promise<number[]> {
  let stores: ColumnStore[] = [];
  let n = 0;
  await readCsv(
    fs.createReadStream(csv),
    (header) => {
      stores = manifest.features.map((f) => new ColumnStore({ name: f.name, index: header.indexOf(f.name), kind: f.kind, missing: 0, unique: 0 }, ROWS));
    },
    (rec) => {
      for (const store of stores) store.write(rec, n);
      n++;
    },
  );
  const X = encodeColumns(stores, manifest.features, Uint32Array.from({ length: n }, (_, i) => i));
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(dir, 'model.onnx')));
  try {
    const result = await session.run({ [manifest.input.name]: new ort.Tensor('float32', X, [n, manifest.input.width]) });
    return Array.from(result[manifest.output.name].data as Float32Array);
  } finally {
    await session.release();
  }
}

// ------------------------------------------------------------------ the three routes

/** A fresh connection per request: a kept-alive one the server has just timed out would reset the next request. */
function post(route: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${route}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

type Instance = Record<string, Json>;

/** A server looks a model it does not know up again at most once a second. */
async function waitServed(model: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    const probe = await post(`/score/${model}`, { instances: [{}] });
    if (probe.status !== 404 || tries === 50) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function scoreEverywhere(model: string, instances: Instance[], datatypes: Record<string, string>): Promise<number[][]> {
  const fromScore = await post(`/score/${model}`, { instances });
  const fromV1 = await post(`/v1/models/${model}:predict`, { instances });
  const names = Object.keys(instances[0]);
  const inputs = names.map((name) => ({ name, shape: [instances.length], datatype: datatypes[name], data: instances.map((i) => i[name]) }));
  const fromV2 = await post(`/v2/models/${model}/infer`, { inputs });
  for (const [route, reply] of [['/score', fromScore], ['v1', fromV1], ['v2', fromV2]] as const) {
    if (reply.status !== 200) throw new Error(`${route} answered ${reply.status}: ${JSON.stringify(reply.body).slice(0, 600)}`);
  }
  const scores = (reply: { body: Record<string, unknown> }) => (reply.body.predictions as Array<{ score: number }>).map((p) => p.score);
  const v2 = (fromV2.body.outputs as Array<{ name: string; data: number[] }>).find((o) => o.name === 'score')!.data;
  return [scores(fromScore), scores(fromV1), v2];
}

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-6));
};

let trained = 0;

describe('scoring the training file\'s own rows', () => {
  it('takes every row as written and as JSON on /score, V1 and V2, and scores it as the trainer did', async () => {
    await fc.assert(
      fc.asyncProperty(table, async (t) => {
        const model = `rows${trained++}`;
        const dir = fs.mkdtempSync(path.join(home, `${model}-`));
        const csv = path.join(dir, 'train.csv');
        fs.writeFileSync(csv, csvOf(t));
        const out = path.join(dir, 'model');
        const manifest = train(csv, out);
        // each generated column is inferred as the kind it was written as, so every kind is exercised
        expect(Object.fromEntries(manifest.features.map((f) => [f.name, f.kind]))).toEqual(Object.fromEntries(t.columns.map((c) => [c.name, c.kind])));
        await installVersion(ctx, model, 'v1', out);
        await waitServed(model);
        const want = await trainerScores(csv, out, manifest);

        const verbatim = t.labels.map((label, r): Instance => ({ ...Object.fromEntries(t.columns.map((c) => [c.name, c.cells[r]])), label: String(label) }));
        const bytes = Object.fromEntries([...t.columns.map((c) => [c.name, 'BYTES']), ['label', 'BYTES']]);
        for (const got of await scoreEverywhere(model, verbatim, bytes)) close(got, want);

        const typed = t.labels.map((label, r): Instance => ({ ...Object.fromEntries(t.columns.map((c) => [c.name, c.json(c.cells[r])])), label }));
        const datatypes = Object.fromEntries([
          ...t.columns.map((c) => [c.name, c.kind === 'numeric' ? 'FP64' : c.kind === 'boolean' ? 'BOOL' : 'BYTES']),
          ['label', 'INT64'],
        ]);
        for (const got of await scoreEverywhere(model, typed, datatypes)) close(got, want);

        // a value no cell of the file held is still refused, naming the field
        const flag = t.columns.find((c) => c.kind === 'boolean')!;
        const refused = await post(`/score/${model}`, { instances: [{ ...verbatim[0], [flag.name]: 'maybe' }] });
        expect(refused.status).toBe(400);
        expect(JSON.stringify(refused.body)).toContain(`instances[0].${flag.name}: expected true/false`);
      }),
      // each run trains a model: a failure is reported as found, not shrunk through dozens of trainings
      { numRuns: 4, endOnFailure: true },
    );
  });
});
