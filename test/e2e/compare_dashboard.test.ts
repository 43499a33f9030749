import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import type { BrowserContext, Page } from 'playwright-core';
import { configFor } from '../../shared/core/config';
import { TOPICS, type TrainingRequested } from '../../shared/core/events';
import { createLogger } from '../../shared/core/log';
import { writeFraudCsv } from '../../shared/data/synthetic';
import type { RunComparison } from '../../shared/pipeline/read_models/compare_runs';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { createPlatform } from '../../shared/platform';
import { launchChromium } from './browser';
import { cli, cliJson, freePort, ROOT, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

/**
 * Runs as a person compares them, and a finished run as it ended: three gbdt runs through `mloop up` —
 * one that stops early (a large step overfits within a few rounds), one on the same dataset with other
 * parameters (the same holdout), one on another dataset (another holdout) — read in the terminal and in
 * the dashboard: "stopped early at iteration N/300 (best K)" with a full bar, counts as integers, epoch
 * axes in whole numbers, the compare page, and the model's metric over time with promotions and a
 * rollback marked.
 */
jest.setTimeout(300_000);

const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const home = tempHome('mloop-compare-dashboard-');
const SETTINGS = { algorithm: 'gbdt', params: { learning_rate: 0.5, num_iterations: 300, early_stopping_rounds: 3 } };
let env: NodeJS.ProcessEnv;
let url: string;
let stack: ChildProcess;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
let early: RunView;
let sameHoldout: RunView;
let otherData: RunView;

const finished = (model: string, count: number) => () => {
  const runs = cliJson<RunView[]>(['runs', '--model', model], env);
  return runs.length === count && runs.every((r) => r.status === 'succeeded' || r.status === 'failed') ? runs : null;
};
const api = async <T>(route: string, method = 'GET') => {
  const res = await fetch(`${url}/api${route}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
  if (!res.ok) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // manual promotion: the test makes every move in the registry, so the chart's marks are known
  env = stackEnv(home, port, { MLOOP_PROMOTION_MODE: 'manual', MLOOP_TRAIN_WORKERS: '1', MLOOP_JOB_SCRIPT: path.join(ROOT, 'dist', 'jobs', 'train.js') });
  const config = configFor(home);
  const platform = createPlatform(config, createLogger('silent'));
  try {
    await platform.objects.put(config.dataBucket, 'datasets/fraud/mloop.json', JSON.stringify(SETTINGS));
    stack = startUp(env, path.join(home, 'up.log'));
    await until('the stack to listen', async () => (await fetch(`${url}/health`)).ok, 60_000);
    const first = path.join(home, 'fraud-1.csv');
    await writeFraudCsv(first, { rows: 4000, seed: 1 });
    cli(['push', first, '--model', 'fraud', '--wait'], env);
    [early] = await until('the first run', finished('fraud', 1), 120_000, 300);
    // the same dataset version with other parameters: what `POST /api/runs` will send, on the bus as a retraining would
    const request: TrainingRequested = {
      request_id: `test:${randomUUID()}`, model: 'fraud', dataset_version: early.dataset_version, reason: 'manual', requested_at: new Date().toISOString(),
      training: { algorithm: 'gbdt', params: { learning_rate: 0.05, num_iterations: 40, early_stopping_rounds: 0 } },
    };
    await platform.bus.publish(TOPICS.trainingRequested, request, { attributes: { model: 'fraud' }, orderingKey: 'fraud' });
    [, sameHoldout] = await until('the second run', finished('fraud', 2), 120_000, 300);
  } finally {
    await platform.close();
  }
  const second = path.join(home, 'fraud-2.csv');
  await writeFraudCsv(second, { rows: 4000, seed: 2 });
  cli(['push', second, '--model', 'fraud', '--wait'], env);
  [, , otherData] = await until('the third run', finished('fraud', 3), 120_000, 300);
  browser = await launchChromium();
  page = await browser.context.newPage();
});

afterAll(async () => {
  await browser?.close();
  if (stack) await stopGracefully(stack);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('a run that stopped early, in the terminal', () => {
  it('trained three runs, the first stopping early', () => {
    expect([early, sameHoldout, otherData].map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(early.training_end).toMatchObject({ unit: 'iteration', max_iterations: 300, stopped_early: true });
    expect(early.training_end!.iterations - early.training_end!.best_iteration).toBe(3);
    expect(sameHoldout.training_end).toMatchObject({ iterations: 40, max_iterations: 40, stopped_early: false });
  });

  it('mloop runs says where it stopped, and the run prints its counts as integers', () => {
    const end = early.training_end!;
    const listing = cli(['runs'], env).stdout;
    expect(listing).toContain(`stopped early at iteration ${end.iterations}/300 (best ${end.best_iteration})`);
    expect(listing).toContain('iteration 40/40');
    const detail = cli(['runs', early.id], env).stdout;
    expect(detail).toContain(`  training: stopped early at iteration ${end.iterations}/300 (best ${end.best_iteration})\n`);
    expect(detail).toContain(` rows ${early.metrics!.rows},`);
    expect(detail).toContain(` tp ${early.metrics!.tp},`);
    expect(detail).toMatch(/ auc 0\.\d{4},/);
    expect(detail).not.toMatch(/\b(rows|tp|fp|tn|fn|positives) \d+\.\d/);
  });
});

describe('mloop runs compare', () => {
  it('two runs on one holdout: no warning, the parameters that differ, the better metric starred', () => {
    const c = cliJson<RunComparison>(['runs', 'compare', early.id, sameHoldout.id], env);
    expect(c.warnings).toEqual([]);
    const text = cli(['runs', 'compare', early.id, sameHoldout.id], env).stdout;
    expect(text).not.toContain('warning:');
    expect(text).toMatch(/^parameters that differ \(\d+ equal not shown: --all\)$/m);
    expect(text).toMatch(/^learning_rate\s+0\.5\s+0\.05$/m);
    expect(text).toMatch(/^num_iterations\s+300\s+40$/m);
    const auc = c.metrics.find((m) => m.name === 'auc')!;
    const starred = auc.values.map((v, i) => `${v!.toFixed(4)}${auc.best.includes(i) ? ' *' : ''}`);
    expect(text).toMatch(new RegExp(`^auc\\s+${starred.join('\\s+').replace(/\*/g, '\\*')}$`, 'm'));
    expect(text).toMatch(new RegExp(`^rows\\s+${early.metrics!.rows}\\s+${sameHoldout.metrics!.rows}$`, 'm'));
  });

  it('runs on different datasets: the warning comes first', () => {
    const lines = cli(['runs', 'compare', early.id, otherData.id], env).stdout.split('\n');
    expect(lines[1]).toMatch(/^warning: the metrics were measured on different holdouts, so they are not comparable/);
  });
});

describe('the dashboard tells the truth', () => {
  it('the runs page: how a finished run ended, with a full bar', async () => {
    await page.goto(`${url}/#/runs`);
    const row = (run: RunView) => page.locator('tr', { has: page.locator(`a[href="#/runs/${run.id}"]`) });
    await row(early).locator('.progress').waitFor();
    const end = early.training_end!;
    expect((await row(early).locator('.progress').textContent())!.trim()).toBe(`stopped early at iteration ${end.iterations}/300 (best ${end.best_iteration})`);
    expect(await row(early).locator('.bar > span').getAttribute('style')).toBe('width:100%');
    expect((await row(sameHoldout).locator('.progress').textContent())!.trim()).toBe('iteration 40/40');
    expect(await row(sameHoldout).locator('.bar > span').getAttribute('style')).toBe('width:100%');
    await shot('runs-ended');
  });

  it('the run page: counts as integers, scores with 4 digits, iterations on the axis as whole numbers', async () => {
    await page.goto(`${url}/#/runs/${early.id}`);
    await page.locator('polyline[data-series="validation"]').waitFor();
    const metrics = page.locator('main table').nth(1);
    const names = await metrics.locator('th').allTextContents();
    const values = await metrics.locator('td').allTextContents();
    const shown = Object.fromEntries(names.map((name, i) => [name, values[i]]));
    for (const count of ['rows', 'positives', 'tp', 'fp', 'tn', 'fn']) expect(shown[count]).toBe(String(early.metrics![count]));
    expect(shown.auc).toBe(early.metrics!.auc!.toFixed(4));
    const ticks = await page.locator('figure', { hasText: 'Loss per iteration' }).locator('text[data-axis="x"]').allTextContents();
    expect(ticks.length).toBeGreaterThanOrEqual(2);
    for (const tick of ticks) expect(tick).toMatch(/^\d+$/);
    expect(ticks[0]).toBe('1');
    expect(ticks.at(-1)).toBe(String(early.training_end!.iterations));
  });

  it('compares runs picked on the runs page: differing parameters highlighted, equal ones folded, the better metric marked, curves overlaid', async () => {
    await page.goto(`${url}/#/runs`);
    await expect(page.locator('#compare-runs').isDisabled()).resolves.toBe(true);
    await page.locator(`input[data-run="${sameHoldout.id}"]`).check();
    await page.locator(`input[data-run="${early.id}"]`).check();
    await page.click('#compare-runs');
    await page.locator('#metrics').waitFor();
    expect(new URL(page.url()).hash).toBe(`#/compare/${early.id},${sameHoldout.id}`);
    expect(await page.locator('.warning').count()).toBe(0);

    const differing = await page.locator('#params-differ tbody tr.differs td:first-child').allTextContents();
    expect(differing.sort()).toEqual(['early_stopping_rounds', 'learning_rate', 'num_iterations']);
    const equal = page.locator('#params-equal');
    expect(await equal.getAttribute('open')).toBeNull();
    await expect(equal.locator('summary').textContent()).resolves.toMatch(/^\d+ equal parameters$/);

    const c = await api<RunComparison>(`/runs/compare?ids=${early.id},${sameHoldout.id}`);
    const auc = c.metrics.find((m) => m.name === 'auc')!;
    const cells = page.locator('#metrics tr[data-metric="auc"] td');
    for (const [i, value] of auc.values.entries()) {
      const cell = cells.nth(i + 1);
      expect((await cell.textContent())!).toBe(`${value!.toFixed(4)}${auc.best.includes(i) ? ' ★' : ''}`);
      expect(await cell.getAttribute('class')).toBe(auc.best.includes(i) ? 'best' : null);
    }
    expect(await page.locator('#metrics tr[data-metric="rows"] td.best').count()).toBe(0);
    expect((await page.locator('#metrics tr[data-metric="tp"] td').nth(1).textContent())).toBe(String(early.metrics!.tp));

    for (const title of ['Validation loss per iteration', 'Training loss per iteration', 'ROC curves', 'Precision-recall curves']) {
      const figure = page.locator('figure', { hasText: title });
      for (const run of [early, sameHoldout]) expect(Number(await figure.locator(`polyline[data-series="${run.id}"]`).getAttribute('data-points'))).toBeGreaterThan(2);
    }
    for (const tick of await page.locator('figure', { hasText: 'Validation loss' }).locator('text[data-axis="x"]').allTextContents()) expect(tick).toMatch(/^\d+$/);
    await shot('compare');
  });

  it('compares by address, and warns that metrics on different holdouts are not comparable', async () => {
    await page.goto(`${url}/#/compare/${early.id},${otherData.id}`);
    await page.locator('.warning').first().waitFor();
    await expect(page.locator('.warning').first().textContent()).resolves.toMatch(/different holdouts, so they are not comparable/);
    const datasetRow = page.locator('#holdout tr', { hasText: 'dataset version' });
    expect(await datasetRow.getAttribute('class')).toBe('differs');
    expect(await datasetRow.locator('td').allTextContents()).toEqual(['dataset version', early.dataset_version, otherData.dataset_version]);
    expect(await page.locator('#holdout tr', { hasText: 'split seed' }).locator('td').allTextContents()).toEqual(['split seed', '42', '42']);
    await shot('compare-other-holdout');
  });

  it('the model page plots each version\'s metric over time, with promotions and a rollback marked', async () => {
    await api('/models/fraud/versions/v1/approve', 'POST');
    await api('/models/fraud/versions/v2/approve', 'POST');
    await api('/models/fraud/rollback', 'POST');
    await page.goto(`${url}/#/models`);
    const chart = page.locator('[data-model="fraud"] .metric-over-time');
    await chart.waitFor();
    expect(Number(await chart.locator('polyline[data-series="auc"]').getAttribute('data-points'))).toBe(3);
    expect(await chart.locator('circle[data-marker="promotion"]').count()).toBe(2);
    expect(await chart.locator('circle[data-marker="rollback"]').count()).toBe(1);
    await expect(chart.locator('circle[data-marker="rollback"] title').textContent()).resolves.toMatch(/^back to v1 at /);
    await shot('model-metric-over-time');
  });
});
