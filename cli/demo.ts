import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { fraudRows, writeFraudCsv } from '../shared/data/synthetic';
import type { Context } from '../shared/pipeline/context';
import { listDatasets, listModels, listRuns } from '../shared/pipeline/read_models/listings';
import type { RunDoc } from '../shared/pipeline/store/documents';
import { createPlatform } from '../shared/platform';
import { runningStackPid } from '../shared/platform/local/instance_lock';
import { demoDrift, type DemoDrift } from './demo_drift';
import { fixed, table } from './output';
import { progressText } from './progress_text';
import { pushDataset } from './push';
import { startStack } from './stack';
import { authorization, callStack } from './stack_client';
import { waitFor, waitForUploadRun } from './wait';

export interface DemoOptions {
  rows: number;
  secondRows: number;
  /** Keep the generated CSV files (the state is MLOOP_HOME's and always stays). */
  keep: boolean;
  say: (line: string) => void;
}

export interface DemoSummary {
  datasets: number;
  runs: number;
  production: string | null;
  auc: number | null;
  scored: number;
  decisions: Array<{ version: string; promoted: boolean; candidate_auc: number | null; production_auc: number | null; reasons: string[] }>;
  seconds_to_production: number;
  drift: DemoDrift;
}

/** Where the demo runs: the stack the user started, or one of its own on the same state folder. */
export interface DemoStack {
  url: string;
  ctx: Context;
  stop(): Promise<void>;
}

const MODEL = 'fraud';
const RUN_TIMEOUT_MS = 150_000;

/**
 * `npm run demo`: the whole loop, unattended, on the stack the dashboard shows. Push a day of
 * transactions, wait for the first model to answer /score, score fresh traffic over HTTP, then drifted
 * traffic with its labels fed back, run a monitoring tick and follow the retraining it starts, push a
 * second day and show the champion/challenger decisions. The summary counts this demo's runs only, so
 * that it reads the same on a stack with history.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { say } = options;
  const config = loadConfig();
  const stack = await demoStack(config, say);
  const ctx = stack.ctx;
  const files = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-demo-'));
  try {
    // Fresh data on every demo: a file the registry already has would start no run.
    const round = (await listDatasets(ctx)).filter((d) => d.model === MODEL).length;
    await demoSettings(ctx, say);
    const day1 = path.join(files, 'transactions-day1.csv');
    await writeFraudCsv(day1, { rows: options.rows, seed: 1 + round });
    const pushedAt = Date.now();
    const first = await pushDataset(ctx, day1, { model: MODEL });
    say(`pushed ${first.object.name}: ${options.rows} rows, dataset ${first.dataset_version}`);
    const run1 = await waitForUploadRun(ctx, MODEL, first.dataset_version, RUN_TIMEOUT_MS, progressPrinter(say));
    if (run1.status !== 'succeeded') throw new Error(`first run ${run1.id} ${run1.status}: ${run1.error}`);

    const probe = [...fraudRows(1, 7)];
    // A promoted version is waited for until it serves; otherwise the champion it lost to answers.
    const served = await waitFor('the promoted model to answer /score', async () => {
      const response = await postScore(stack, probe);
      if (!response.ok) return null;
      const version = ((await response.json()) as { model_version: string }).model_version;
      return run1.promoted && version !== run1.model_version ? null : version;
    }, RUN_TIMEOUT_MS, 100);
    const secondsToProduction = (Date.now() - pushedAt) / 1000;
    say(`${MODEL} ${served} answers /score ${secondsToProduction.toFixed(1)} s after the push`);

    const traffic = [...fraudRows(1000, 99)];
    let scored = 0;
    let flagged = 0;
    for (let i = 0; i < traffic.length; i += 100) {
      const response = await postScore(stack, traffic.slice(i, i + 100));
      if (!response.ok) throw new Error(`scoring failed: HTTP ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { predictions: Array<{ score: number; label: number }> };
      scored += body.predictions.length;
      flagged += body.predictions.filter((p) => p.label === 1).length;
    }
    say(`scored ${scored} fresh transactions over HTTP: ${flagged} flagged as fraud`);
    const { runId: driftRun, ...drift } = await demoDrift(stack, MODEL, say, progressPrinter(say));

    const day2 = path.join(files, 'transactions-day2.csv');
    await writeFraudCsv(day2, { rows: options.secondRows, seed: 2 + round });
    const second = await pushDataset(ctx, day2, { model: MODEL });
    say(`pushed ${second.object.name}: ${options.secondRows} rows, dataset ${second.dataset_version}`);
    const run2 = await waitForUploadRun(ctx, MODEL, second.dataset_version, RUN_TIMEOUT_MS, progressPrinter(say));
    if (run2.status !== 'succeeded') throw new Error(`second run ${run2.id} ${run2.status}: ${run2.error}`);

    const ours = new Set([run1.id, driftRun, run2.id]);
    const runs = (await listRuns(ctx, MODEL)).filter((r) => ours.has(r.id));
    const versions = new Set(runs.map((r) => r.model_version));
    const all = (await listModels(ctx)).filter((m) => m.model === MODEL);
    const models = all.filter((m) => versions.has(m.version));
    say('');
    say(table(['run', 'version', 'status', 'auc', 'seconds', 'promoted'], runs.map((r) => [r.id, r.model_version, r.status, fixed(r.metrics?.auc), r.duration_seconds, r.promoted ? 'yes' : 'no'])));
    say('');
    say(table(['model', 'version', 'stage', 'holdout auc', 'decision'], models.map((m) => [m.model, m.version, m.stage, fixed(m.metrics.holdout_auc), m.decision?.reasons.join('; ')])));
    say('');
    say(`the runs are on the dashboard at ${stack.url}/ (state in ${ctx.config.home})`);
    const production = all.find((m) => m.stage === 'production') ?? null;
    return {
      datasets: new Set(runs.map((r) => r.dataset_version)).size,
      runs: runs.length,
      production: production?.version ?? null,
      auc: production?.metrics.auc ?? null,
      scored,
      decisions: models.map((m) => ({
        version: m.version,
        promoted: m.decision?.promote ?? false,
        candidate_auc: m.decision?.candidate_metric ?? null,
        production_auc: m.decision?.production_metric ?? null,
        reasons: m.decision?.reasons ?? [],
      })),
      seconds_to_production: Math.round(secondsToProduction * 10) / 10,
      drift,
    };
  } finally {
    await stack.stop();
    if (options.keep) say(`the generated data is in ${files}`);
    else fs.rmSync(files, { recursive: true, force: true });
  }
}

/**
 * The running `mloop up` of MLOOP_HOME when there is one (found at PORT or MLOOP_URL, as every command
 * finds it), so that the runs appear on the dashboard the user has open; else a stack of the demo's
 * own on MLOOP_HOME, stopped at the end, whose runs the next `mloop up` shows. Its port is PORT when
 * free, any other when not.
 */
async function demoStack(config: Config, say: (line: string) => void): Promise<DemoStack> {
  const log = createLogger('warn', { component: 'demo' });
  if (config.platform === 'local' && runningStackPid(config.home)) {
    const ctx: Context = { config, log, platform: createPlatform(config, log) };
    try {
      await callStack(ctx, '/health', { method: 'GET' });
    } catch (err) {
      await ctx.platform.close();
      throw err;
    }
    say(`using the running stack on ${config.url} (state in ${config.home}): open ${config.url}/ to watch`);
    return { url: config.url, ctx, stop: () => ctx.platform.close() };
  }
  let stack;
  try {
    stack = await startStack(config, log);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    say(`port ${config.port} is taken: the demo's stack listens on another`);
    stack = await startStack({ ...config, port: 0 }, log);
  }
  say(`no stack was running: started one on ${stack.url} for the demo (state in ${config.home}; \`npm start\` shows it afterwards)`);
  return stack;
}

function postScore(stack: DemoStack, instances: unknown[]): Promise<Response> {
  return fetch(`${stack.url}/score/${MODEL}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(stack.ctx.config) },
    body: JSON.stringify({ instances }),
  });
}

function progressPrinter(say: (line: string) => void) {
  let last = '';
  return (run: RunDoc) => {
    const p = run.progress;
    const line = p
      ? `  ${run.id} ${run.status}: ${progressText(p)} loss ${fixed(p.loss)} val_loss ${fixed(p.val_loss)}`
      : `  ${run.id} ${run.status}`;
    if (line !== last) say(line);
    last = line;
  };
}

/**
 * The demo model's mloop.json, unless one is there: AUC drops of 0.03 allowed, the estimate's and the
 * labels' alike. The demo's drifted window (10,000 transfers beside the 1,000 ordinary transactions scored
 * before) costs the model about 0.04–0.06 of AUC, estimated and realised, depending on which family
 * auto served: at the default 0.05 whether either alarm fires would be a coin toss. The estimate's alarm
 * also needs its interval wholly below the test AUC, so a lower allowance does not make it fire on noise.
 */
async function demoSettings(ctx: Context, say: (line: string) => void): Promise<void> {
  const name = `datasets/${MODEL}/mloop.json`;
  if (await ctx.platform.objects.stat(ctx.config.dataBucket, name)) return;
  const settings = { monitoring: { estimated_auc_drop: 0.03, auc_drop: 0.03 } };
  await ctx.platform.objects.put(ctx.config.dataBucket, name, JSON.stringify(settings, null, 2));
  say(`wrote ${name}: ${JSON.stringify(settings)} (AUC drops of 0.03 alarm, estimated or realised)`);
}
