import fs from 'node:fs';
import path from 'node:path';
import { spawnSync, type ChildProcess } from 'node:child_process';
import type { BrowserContext, Page, Request } from 'playwright-core';
import { fraudRows, writeFraudCsv } from '../../shared/data/synthetic';
import { configFor } from '../../shared/core/config';
import { createLogger } from '../../shared/core/log';
import type { MonitorOutcome } from '../../shared/pipeline/usecases/on_monitoring_tick';
import { createPlatform } from '../../shared/platform';
import { LocalEventBus } from '../../shared/platform/local/event_bus';
import type { RunView } from '../../shared/pipeline/read_models/listings';
import { launchChromium } from './browser';
import { CLI, cli, cliJson, freePort, ROOT, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

jest.setTimeout(300_000);

const KEY = 'dashboard-test-key';
// The live run's epochs, all trained (no early stopping): about 20 s on an idle 2-core machine, several
// of the page's 1.5 s polls however fast the machine (a busier one slows the run and the polls alike).
const LIVE_EPOCHS = 400;
const SHOTS = path.join(ROOT, 'test-results', 'dashboard');
const home = tempHome('mloop-dashboard-');
let env: NodeJS.ProcessEnv;
let url: string;
let stack: ChildProcess;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
let runs: RunView[];
let pushedAndWaited: { stdout: string; stderr: string };

const health = async () => (await (await fetch(`${url}/health`)).json()) as { models: Record<string, string> };
const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  // Manual promotion: every version waits in the registry, so the page's buttons make every move.
  env = stackEnv(home, port, {
    MLOOP_API_KEY: KEY,
    MLOOP_TRAIN_EPOCHS: '4',
    MLOOP_PROMOTION_MODE: 'manual',
    MLOOP_JOB_SCRIPT: path.join(ROOT, 'dist', 'jobs', 'train.js'),
  });
  stack = startUp(env, path.join(home, 'up.log'));
  await until('the stack to listen', async () => (await fetch(`${url}/health`)).ok, 60_000);
  const first = path.join(home, 'fraud-1.csv');
  await writeFraudCsv(first, { rows: 20_000, seed: 1 });
  cli(['push', first, '--model', 'fraud'], env);
  // one at a time, so that the versions are v1 then v2
  await until('run 1 to finish', () => {
    const all = cliJson<RunView[]>(['runs'], env);
    return all.length === 1 && all.every((r) => r.status === 'succeeded' || r.status === 'failed') ? all : null;
  }, 240_000, 500);
  const second = path.join(home, 'fraud-2.csv');
  await writeFraudCsv(second, { rows: 20_000, seed: 2 });
  // not on a terminal here: the progress comes as plain lines
  pushedAndWaited = cli(['push', second, '--model', 'fraud', '--wait'], env);
  runs = cliJson<RunView[]>(['runs'], env);
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
});

afterAll(async () => {
  await browser?.close();
  if (stack) await stopGracefully(stack);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('the CLI beside it, off a terminal', () => {
  it('follows a pushed dataset to the end of its run with plain progress lines', () => {
    // auto, the default: each candidate's progress, named
    expect(pushedAndWaited.stderr).toMatch(/^gbdt \(candidate 1\/4\) iteration \d+\/\d+ loss \d/m);
    expect(pushedAndWaited.stderr).toMatch(/^mlp \(candidate 4\/4\) epoch \d+\/4 loss \d/m);
    expect(pushedAndWaited.stdout).toMatch(new RegExp(`^run ${runs[1].id} succeeded: v2 auc 0\\.\\d+`, 'm'));
    expect(pushedAndWaited.stdout + pushedAndWaited.stderr).not.toMatch(/\x1b|\r/);
  });

  it('lists in plain text, and in JSON with --json', () => {
    expect(cli(['runs'], env).stdout).not.toMatch(/\x1b/);
    expect(cli(['runs'], env).stdout).toContain(runs[0].id);
    // a run auto trained: every candidate it tried, with its validation score or why it did not train
    const detail = cli(['runs', runs[0].id], env).stdout;
    expect(detail).toMatch(new RegExp(`^  auto chose ${runs[0].selection!.winner} by (validation auc|auc on the mean of 5-fold cross-validation on the \\d+ training rows and the validation split \\(\\d+ rows\\)) \\(higher is better\\), budget \\d+ s:$`, 'm'));
    // on 14 000 training rows auto cross-validates: the folds' scores follow the mean
    expect(detail).toMatch(/^ {4}gbdt( \*)?\s+trained\s+0\.\d{4}\s/m);
    expect(detail).toMatch(/^ {4}mlp( \*)?\s+trained\s+0\.\d{4}\s/m);
    expect(cliJson<Array<{ version: string }>>(['datasets'], env)).toHaveLength(2);
    expect(cliJson<Array<{ version: string }>>(['models'], env).map((m) => m.version)).toEqual(['v1', 'v2']);
    expect(cliJson<unknown[]>(['dlq'], env)).toEqual([]);
  });
});

describe('the dashboard of mloop up', () => {
  it('trained both datasets', () => {
    expect(runs.map((r) => [r.model_version, r.status])).toEqual([['v1', 'succeeded'], ['v2', 'succeeded']]);
  });

  it('is announced by mloop up', () => {
    expect(fs.readFileSync(path.join(home, 'up.log'), 'utf8')).toContain(`dashboard:       ${url}/ (actions and dead letters need the API key: type it at the top right)`);
  });

  it('shows the runs to anyone, and asks for the API key where it is needed (dead letters)', async () => {
    await page.goto(`${url}/`);
    for (const run of runs) await page.locator(`a[href="#/runs/${run.id}"]`).waitFor();
    expect(await page.locator('main table tbody tr').count()).toBe(2);
    await shot('runs');
    await page.goto(`${url}/#/dead-letters`);
    await page.locator('.error', { hasText: 'API key' }).waitFor();
    await page.fill('#key', KEY);
    await page.click('#key-form button');
    await page.locator('p', { hasText: 'No dead letters' }).waitFor();
  });

  it('lists datasets, with the reason a file was rejected', async () => {
    const file = path.join(home, 'broken.csv');
    fs.writeFileSync(file, 'amount,label\n1,0\n2,1\n');
    cli(['push', file, '--model', 'broken'], env);
    const rejected = await until('the broken file to be rejected', () =>
      cliJson<Array<{ model: string; status: string; reason?: string }>>(['datasets'], env).find((d) => d.model === 'broken'), 60_000, 500);
    expect(rejected.status).toBe('rejected');
    await page.goto(`${url}/#/datasets`);
    const row = page.locator('tr', { hasText: 'broken.csv' });
    await row.locator('.bad', { hasText: 'rejected' }).waitFor();
    expect(await row.textContent()).toContain(rejected.reason);
    expect(await page.locator('tr', { hasText: 'fraud-1.csv' }).locator('.ok', { hasText: 'accepted' }).count()).toBe(1);
    await shot('datasets');
  });

  it('draws the run page: loss, ROC and PR curves, confusion matrix and the decision', async () => {
    await page.goto(`${url}/#/runs`);
    await page.click(`a[href="#/runs/${runs[1].id}"]`);
    const points = (series: string) => page.locator(`polyline[data-series="${series}"]`).getAttribute('data-points');
    await page.locator('polyline[data-series="ROC"]').waitFor();
    expect(Number(await points('ROC'))).toBeGreaterThan(10);
    expect(Number(await points('PR'))).toBeGreaterThan(10);
    expect(Number(await points('validation'))).toBeGreaterThan(1);
    expect(await page.locator('figure', { hasText: 'Confusion matrix' }).locator('td').count()).toBe(6);
    await expect(page.locator('#decision').textContent()).resolves.toMatch(/manual/);
    // the slice table: the demo's transaction type is a categorical of few values, sliced by without being named
    const slices = page.locator('#slices tbody tr');
    expect(await slices.count()).toBeGreaterThanOrEqual(2);
    await expect(page.locator('#slices tbody tr', { hasText: 'type=TRANSFER' }).textContent()).resolves.toMatch(/\d\.\d{4} \[\d\.\d{4}, \d\.\d{4}\]/);
    const card = await fetch(url + (await page.locator('#card-link').getAttribute('href')));
    expect(card.headers.get('content-type')).toMatch(/^text\/markdown/);
    const markdown = await card.text();
    expect(markdown).toContain(`# Model card: fraud ${runs[1].model_version}`);
    expect(markdown).toMatch(/\| type=TRANSFER \| \d+ \|/);
    // trained by auto, the default: what it chose and every candidate it tried
    const selection = runs[1].selection!;
    await expect(page.locator('#selection h2').textContent()).resolves.toBe(`auto chose ${selection.winner}`);
    expect(await page.locator('#selection tbody tr').count()).toBe(selection.candidates.length);
    await expect(page.locator('#selection tbody tr', { hasText: 'mlp' }).textContent()).resolves.toMatch(/trained/);
    // the chosen model's explanations: mean |SHAP| on the holdout beside the gain, a dependence plot per top feature
    expect(await page.locator('figure', { hasText: 'Mean |SHAP| on' }).locator('rect[data-series="mean |SHAP|"]').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('figure', { hasText: 'Dependence: ' }).count()).toBe(3);
    expect(await page.locator('circle[data-marker="dependence"]').count()).toBeGreaterThan(100);
    await shot('run');
  });

  it('approves both versions and rolls back from the models page, which moves what /health serves', async () => {
    await page.goto(`${url}/#/models`);
    const live = page.locator('[data-model="fraud"] .live-version');
    await live.filter({ hasText: 'none' }).waitFor();
    expect((await health()).models).toEqual({});

    for (const version of ['v1', 'v2']) {
      const row = page.locator('[data-model="fraud"] tr', { has: page.locator('strong', { hasText: version }) });
      await row.locator('button[data-action="approve"]').click();
      await live.filter({ hasText: version }).waitFor();
      await until(`/health to serve ${version}`, async () => (await health()).models.fraud === version, 30_000, 200);
    }
    await shot('models-before-rollback');

    await page.locator('[data-model="fraud"] button[data-action="rollback"]').click();
    await live.filter({ hasText: 'v1' }).waitFor();
    await until('/health to serve v1 again', async () => (await health()).models.fraud === 'v1', 30_000, 200);
    await expect(page.locator('[data-model="fraud"]').textContent()).resolves.toMatch(/production → archived by admin-api/);
    await shot('models-after-rollback');
  });

  it('shows a drift report with its histograms and the retraining it caused', async () => {
    const auth = { authorization: `Bearer ${KEY}` };
    const rows = [...fraudRows(1500, 22, { amountScale: 3, typeMix: { PAYMENT: 0.1, TRANSFER: 0.4, CASH_OUT: 0.4, DEBIT: 0.05, CASH_IN: 0.05 } })];
    for (let i = 0; i < rows.length; i += 100) {
      const headers = { ...auth, 'content-type': 'application/json', 'x-request-id': `dash-drift-${i / 100}` };
      const scored = await fetch(`${url}/score/fraud`, { method: 'POST', headers, body: JSON.stringify({ instances: rows.slice(i, i + 100) }) });
      expect(scored.status).toBe(200);
    }
    const [outcome] = (await (await fetch(`${url}/api/monitor?model=fraud`, { method: 'POST', headers: auth })).json()) as MonitorOutcome[];
    if (outcome.outcome !== 'reported') throw new Error(`no report: ${outcome.reason}`);
    expect(outcome.report.dataset_drift).toBe(true);
    const retrain = await until('the drift to start a retraining run', () => cliJson<RunView[]>(['runs'], env).find((r) => r.reason === 'drift'), 60_000, 500);
    // the labels come back after the tick: the AUC they realise goes beside the one estimated before them
    expect(outcome.report.estimated_performance?.auc).toEqual(expect.any(Number));
    const labels = rows.map((row, k) => ({ request_id: `dash-drift-${Math.floor(k / 100)}`, index: k % 100, label: row.isFraud }));
    expect((await fetch(`${url}/feedback`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(labels) })).status).toBe(200);

    await page.goto(`${url}/#/monitoring`);
    await page.locator(`a[href="#/runs/${retrain.id}"]`).waitFor();
    const estimates = page.locator('figure', { hasText: 'fraud: ROC AUC estimated before labels vs realised' });
    await estimates.waitFor();
    expect(await estimates.locator('circle[data-marker="estimated"]').count()).toBeGreaterThanOrEqual(1);
    expect(await estimates.locator('circle[data-marker="realised"]').count()).toBeGreaterThanOrEqual(1);
    await shot('monitoring-estimates');
    await page.click(`a[href="#/monitoring/${outcome.report.id}"]`);
    await page.locator('rect[data-series="current"]').first().waitFor();
    const features = outcome.report.features.length;
    expect(await page.locator('figure', { hasText: 'reference vs current' }).count()).toBe(features);
    expect(await page.locator('rect[data-series="reference"]').count()).toBe(await page.locator('rect[data-series="current"]').count());
    await shot('drift-report');
  });

  it('lists a dead letter with its error, and redelivers it', async () => {
    // A consumer of its own beside the stack, on the same queue, that fails its only delivery.
    const platform = createPlatform(configFor(home), createLogger('silent'));
    try {
      await platform.bus.ensureSubscription('probe-topic', 'probe-dead', { maxDeliveryAttempts: 1 });
      const consumer = await platform.bus.subscribe('probe-dead', async () => {
        throw new Error('probe handler refuses everything');
      });
      await platform.bus.publish('probe-topic', { probe: 1 });
      await until('the probe to be dead-lettered', async () => (await platform.bus.deadLetters('probe-dead')).length === 1);
      await consumer.close();

      await page.goto(`${url}/#/dead-letters`);
      const row = page.locator('tr', { hasText: 'probe-dead' });
      await row.locator('code', { hasText: 'probe handler refuses everything' }).waitFor();
      await shot('dead-letters');
      await row.locator('button', { hasText: 'redeliver' }).click();
      await page.locator('p', { hasText: 'No dead letters' }).waitFor();
      expect(await platform.bus.deadLetters()).toEqual([]);
      expect((platform.bus as LocalEventBus).queueStats().find((q) => q.subscription === 'probe-dead')).toMatchObject({ pending: 1 });
    } finally {
      await platform.close();
    }
  });
});

describe('live progress on the runs page', () => {
  it('follows a real run: running with a moving bar, then succeeded, and the polling stops', async () => {
    // A model of its own, so that the counts above stay as they are.
    const config = configFor(home);
    const platform = createPlatform(config, createLogger('silent'));
    try {
      await platform.objects.put(config.dataBucket, 'datasets/live/mloop.json', JSON.stringify({ algorithm: 'mlp', epochs: LIVE_EPOCHS, params: { patience: 0 } }));
    } finally {
      await platform.close();
    }
    const file = path.join(home, 'live.csv');
    await writeFraudCsv(file, { rows: 20_000, seed: 5 });
    cli(['push', file, '--model', 'live'], env);
    const run = await until('the live run to appear', () => cliJson<RunView[]>(['runs', '--model', 'live'], env)[0], 120_000, 200);

    // The page of the tests above (it holds the API key): a change of hash renders without reloading.
    let polls = 0;
    const count = (request: Request) => {
      if (new URL(request.url()).pathname === '/api/runs') polls++;
    };
    page.on('request', count);
    try {
      // A reload would lose this mark: every change below comes from the page's own polling.
      await page.evaluate(() => ((window as unknown as { mark: string }).mark = 'not reloaded'));
      await page.goto(`${url}/#/runs`);
      const row = page.locator('tr', { has: page.locator(`a[href="#/runs/${run.id}"]`) });
      // Every render of the row is recorded by the page itself, so none is missed however slowly this
      // test samples on a loaded machine: what is asserted is what the page painted, not what was caught.
      await page.evaluate((id) => {
        const w = window as unknown as { painted: Array<[string, string | null]> };
        w.painted = [];
        const look = () => {
          const tr = document.querySelector(`a[href="#/runs/${id}"]`)?.closest('tr');
          const text = tr?.querySelector('.progress')?.textContent?.trim();
          if (!text) return;
          const last = w.painted[w.painted.length - 1];
          const width = tr!.querySelector('.bar > span')?.getAttribute('style') ?? null;
          if (!last || last[0] !== text || last[1] !== width) w.painted.push([text, width]);
        };
        new MutationObserver(look).observe(document.getElementById('view')!, { childList: true, subtree: true, characterData: true });
        look();
      }, run.id);
      await row.locator('.status-running').waitFor({ timeout: 120_000 });
      let shotTaken = false;
      const painted = () => page.evaluate(() => (window as unknown as { painted: Array<[string, string | null]> }).painted);
      await until('the page to show the run succeeded', async () => {
        if (!shotTaken && new Set((await painted()).map(([text]) => text)).size >= 2 && (await row.locator('.status-running').count())) {
          await page.screenshot({ path: path.join(SHOTS, 'runs-live.png'), fullPage: true });
          shotTaken = true;
        }
        return (await row.locator('.status-succeeded').count()) > 0;
      }, 240_000, 150);
      expect(await page.evaluate(() => (window as unknown as { mark?: string }).mark)).toBe('not reloaded');

      const seen = await painted();
      const during = new Set(seen.map(([text]) => text).filter((text) => !text.endsWith(`${LIVE_EPOCHS}/${LIVE_EPOCHS}`)));
      expect(during.size).toBeGreaterThanOrEqual(2);
      expect(shotTaken).toBe(true);
      for (const [text, width] of seen) {
        const [, done, of] = /^epoch (\d+)\/(\d+)$/.exec(text)!;
        expect(Number(of)).toBe(LIVE_EPOCHS);
        expect(width).toBe(`width:${((Number(done) / LIVE_EPOCHS) * 100).toFixed(0)}%`);
      }

      // Once nothing runs anywhere (the drift retraining above may still be training), the page stops asking.
      await until('every run to finish', () => cliJson<RunView[]>(['runs'], env).every((r) => r.status === 'succeeded' || r.status === 'failed'), 240_000, 500);
      await until('the page to show every run finished', async () => (await page.locator('main [class^="status-"]:not(.status-succeeded):not(.status-failed)').count()) === 0, 30_000, 200);
      const settled = polls;
      // Proving an absence takes a wait: twice the page's poll interval, which a slow machine only lengthens.
      await page.waitForTimeout(3_000);
      expect(polls).toBe(settled);
    } finally {
      page.off('request', count);
    }
  });
});

// Last: its runs (model "tty") would change the listings and pages the tests above count.
describe('the CLI on a terminal', () => {
  it('push --wait draws a coloured bar in place, and no colours when NO_COLOR is set', async () => {
    // the mlp's four epochs fill the bar in steps a poll sees; auto's gbdt stops early, far short of its round cap
    const config = configFor(home);
    const platform = createPlatform(config, createLogger('silent'));
    try {
      await platform.objects.put(config.dataBucket, 'datasets/tty/mloop.json', JSON.stringify({ algorithm: 'mlp' }));
    } finally {
      await platform.close();
    }
    // `script` gives the CLI a pseudo-terminal, as a person's shell would
    const onTerminal = async (seed: number, extra: Record<string, string>) => {
      const file = path.join(home, `tty-${seed}.csv`);
      await writeFraudCsv(file, { rows: 5_000, seed });
      const result = spawnSync('script', ['-qec', `${process.execPath} ${CLI} push ${file} --model tty --wait`, '/dev/null'], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
      expect(result.status).toBe(0);
      return result.stdout;
    };
    const coloured = await onTerminal(3, {});
    expect(coloured).toMatch(/\r\x1b\[36m█+/);
    expect(coloured).toMatch(/epoch \d\/4/);
    expect(coloured).toMatch(/\x1b\[32msucceeded\x1b\[39m/);
    const plain = await onTerminal(4, { NO_COLOR: '1' });
    expect(plain).toMatch(/\r█+/);
    expect(plain).not.toMatch(/\x1b\[\d+m/);
  });
});
