import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { BrowserContext, Page } from 'playwright-core';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import { createPlatform } from '../../shared/platform';
import type { RunView, ModelView } from '../../shared/pipeline/read_models/listings';
import type { ClassEvaluation } from '../../shared/pipeline/read_models/image_evaluation';
import { launchChromium } from './browser';
import { cli, cliJson, freePort, ROOT, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

/**
 * An image run as a person reads it: `mloop runs` and `mloop models` with accuracy and macro-F1, the
 * run's per-class metrics and confusion matrix in the terminal, and its dashboard page — the per-class
 * table, the confusion matrix with the class names, and the misclassified test images as thumbnails the
 * train job drew — with every read behind the API key (MLOOP_DASHBOARD_READS=key).
 */
jest.setTimeout(300_000);

const KEY = 'image-dashboard-key';
const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const home = tempHome('mloop-image-dashboard-');
let env: NodeJS.ProcessEnv;
let url: string;
let stack: ChildProcess;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
let run: RunView;
let classes: string[];

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  env = stackEnv(home, port, { MLOOP_API_KEY: KEY, MLOOP_DASHBOARD_READS: 'key', MLOOP_JOB_SCRIPT: path.join(ROOT, 'dist', 'jobs', 'train.js') });
  const config = configFor(home);
  const platform = createPlatform(config, createLogger('silent'));
  try {
    // one short epoch at a tiny learning rate: a model that still errs, so that there are mistakes to show
    const settings = { image_size: 16, params: { filters: [4], epochs: 1, batch_size: 8, augment: false, dropout: 0, patience: 0, backend: 'cpu', learning_rate: 0.0001 } };
    await platform.objects.put(config.dataBucket, 'datasets/shapes/mloop.json', JSON.stringify(settings));
  } finally {
    await platform.close();
  }
  stack = startUp(env, path.join(home, 'up.log'));
  await until('the stack to listen', async () => (await fetch(`${url}/health`)).ok, 60_000);
  const zip = path.join(home, 'shapes.zip');
  cli(['generate-images', zip, '--classes', '4', '--per-class', '20', '--size', '24', '--seed', '5'], env);
  cli(['push', zip, '--model', 'shapes', '--wait'], env);
  [run] = cliJson<RunView[]>(['runs'], env);
  classes = (cliJson<RunView & { evaluation: ClassEvaluation }>(['runs', run.id, '--json'], env)).evaluation.confusion.labels;
  browser = await launchChromium();
  page = await browser.context.newPage();
});

afterAll(async () => {
  await browser?.close();
  if (stack) await stopGracefully(stack);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('an image run in the CLI', () => {
  it('trained, with accuracy and macro-F1 as the headline of mloop runs and mloop models', () => {
    expect(run).toMatchObject({ model: 'shapes', model_version: 'v1', status: 'succeeded' });
    expect(run.headline.map((m) => m.name)).toEqual(['accuracy', 'macro_f1']);
    expect(run.headline[0].value).toBe(run.metrics!.accuracy);
    const runs = cli(['runs'], env).stdout;
    expect(runs).toMatch(/\bmetric\b/);
    expect(runs).toMatch(new RegExp(`${run.id}.*accuracy ${run.metrics!.accuracy!.toFixed(4)}, macro_f1 \\d\\.\\d{4}`));
    const [model] = cliJson<ModelView[]>(['models'], env);
    expect(model.headline.map((m) => m.name)).toEqual(['accuracy', 'macro_f1']);
    expect(cli(['models'], env).stdout).toMatch(/shapes\s+v1\s+\S+\s+accuracy \d\.\d{4}, macro_f1 \d\.\d{4}\s+accuracy \d\.\d{4}/);
  });

  it('prints a run\'s per-class recall and its confusion matrix with the class names, and --json carries them', () => {
    expect(classes).toEqual(['circle', 'cross', 'square', 'triangle']);
    const detail = cliJson<RunView & { evaluation: ClassEvaluation }>(['runs', run.id, '--json'], env);
    expect(detail.evaluation.per_class.map((c) => c.class)).toEqual(classes);
    // two test images per class of 20, every one counted once in the matrix
    expect(detail.evaluation.per_class.map((c) => c.support)).toEqual([2, 2, 2, 2]);
    expect(detail.evaluation.confusion.matrix.flat().reduce((a, b) => a + b, 0)).toBe(8);
    const wrong = detail.evaluation.confusion.matrix.flatMap((row, i) => row.filter((_, j) => j !== i)).reduce((a, b) => a + b, 0);
    expect(detail.evaluation.misclassified).toHaveLength(wrong);
    expect(wrong).toBeGreaterThan(0);

    const text = cli(['runs', run.id], env).stdout;
    expect(text).toContain(`run ${run.id}: shapes v1 succeeded`);
    expect(text).toMatch(/per class \(test split\):\n\s+class\s+precision\s+recall\s+f1\s+images/);
    for (const name of classes) expect(text).toMatch(new RegExp(`^\\s+${name}\\s+(\\d\\.\\d{4}|-)\\s+\\d\\.\\d{4}`, 'm'));
    expect(text).toMatch(new RegExp(`actual \\\\ predicted\\s+${classes.join('\\s+')}`));

    const shown = cliJson<{ evaluation: ClassEvaluation }>(['models', 'show', 'v1', '--model', 'shapes', '--json'], env);
    expect(shown.evaluation).toEqual(detail.evaluation);
    expect(cli(['models', 'show', 'v1', '--model', 'shapes'], env).stdout).toContain('confusion matrix (rows: actual, columns: predicted):');
  });
});

describe('an image run on the dashboard, every read behind the key', () => {
  it('shows the per-class table, the confusion matrix with the class names, and the misclassified thumbnails', async () => {
    await page.goto(`${url}/#/runs/${run.id}`);
    await page.locator('.error', { hasText: 'API key' }).waitFor();
    await page.fill('#key', KEY);
    await page.click('#key-form button');
    await page.locator('#confusion').waitFor();

    const columns = await page.locator('#confusion thead th').allTextContents();
    expect(columns.slice(1)).toEqual(classes);
    expect(await page.locator('#confusion tbody th').allTextContents()).toEqual(classes);
    expect(await page.locator('#confusion tbody td').count()).toBe(classes.length ** 2);

    const rows = page.locator('#per-class tbody tr');
    expect(await rows.count()).toBe(classes.length);
    expect(await page.locator('#per-class tbody tr td:first-child').allTextContents()).toEqual(classes);
    expect(await page.locator('#classes').textContent()).toContain('top-1 accuracy');

    const thumbs = page.locator('#misclassified img');
    const shown = await thumbs.count();
    expect(shown).toBeGreaterThan(0);
    // every thumbnail loads: fetched with the key, drawn by the train job
    await until('the thumbnails to load', () => thumbs.evaluateAll((imgs) => imgs.every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0)), 20_000, 200);
    const widths = await thumbs.evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth));
    expect(widths).toEqual(new Array(shown).fill(16));
    const caption = await page.locator('#misclassified figure.thumb figcaption').first().textContent();
    expect(caption).toMatch(new RegExp(`true (${classes.join('|')})predicted (${classes.join('|')})0\\.\\d\\d`));
    await page.screenshot({ path: path.join(SHOTS, 'image-run.png'), fullPage: true });
  });

  it('lists the image run with its accuracy and macro-F1', async () => {
    await page.goto(`${url}/#/runs`);
    const row = page.locator('tr', { hasText: run.id });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/accuracy \d\.\d{4}, macro_f1 \d\.\d{4}/);
  });
});
