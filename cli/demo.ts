import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigWith } from '../shared/core/config';
import { createLogger } from '../shared/core/log';
import { fraudRows, writeFraudCsv } from '../shared/data/synthetic';
import { listDatasets, listModels, listRuns } from '../shared/pipeline/read_models/listings';
import type { RunDoc } from '../shared/pipeline/store/documents';
import { demoDrift, type DemoDrift } from './demo_drift';
import { fixed, table } from './output';
import { progressText } from './progress_text';
import { pushDataset } from './push';
import { startStack } from './stack';
import { waitFor, waitForUploadRun } from './wait';

export interface DemoOptions {
  rows: number;
  secondRows: number;
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

const MODEL = 'fraud';
const RUN_TIMEOUT_MS = 150_000;

/**
 * `npm run demo`: the whole loop on a fresh local stack, unattended. Push a day of transactions, wait
 * for the first model to answer /score, score fresh traffic over HTTP, then drifted traffic with its
 * labels fed back, run a monitoring tick and follow the retraining it starts, push a second day and
 * show the champion/challenger decisions.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const { say } = options;
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-demo-'));
  const config = loadConfigWith({ MLOOP_HOME: home, PORT: '0', MLOOP_STORAGE: path.join(home, 'buckets') });
  const stack = await startStack(config, createLogger('warn', { component: 'demo' }));
  const ctx = stack.ctx;
  say(`local stack on ${stack.url} (state in ${home})`);
  try {
    const day1 = path.join(home, 'transactions-day1.csv');
    await writeFraudCsv(day1, { rows: options.rows, seed: 1 });
    const pushedAt = Date.now();
    const first = await pushDataset(ctx, day1, { model: MODEL });
    say(`pushed ${first.object.name}: ${options.rows} rows, dataset ${first.dataset_version}`);
    const run1 = await waitForUploadRun(ctx, MODEL, first.dataset_version, RUN_TIMEOUT_MS, progressPrinter(say));
    if (run1.status !== 'succeeded') throw new Error(`first run ${run1.id} ${run1.status}: ${run1.error}`);

    const probe = [...fraudRows(1, 7)];
    await waitFor('the promoted model to answer /score', async () => {
      const response = await postScore(stack.url, probe);
      return response.ok ? true : null;
    }, RUN_TIMEOUT_MS, 100);
    const secondsToProduction = (Date.now() - pushedAt) / 1000;
    say(`${MODEL} ${run1.model_version} answers /score ${secondsToProduction.toFixed(1)} s after the push`);

    const traffic = [...fraudRows(1000, 99)];
    let scored = 0;
    let flagged = 0;
    for (let i = 0; i < traffic.length; i += 100) {
      const response = await postScore(stack.url, traffic.slice(i, i + 100));
      if (!response.ok) throw new Error(`scoring failed: HTTP ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { predictions: Array<{ score: number; label: number }> };
      scored += body.predictions.length;
      flagged += body.predictions.filter((p) => p.label === 1).length;
    }
    say(`scored ${scored} fresh transactions over HTTP: ${flagged} flagged as fraud`);
    const drift = await demoDrift(stack, MODEL, say, progressPrinter(say));

    const day2 = path.join(home, 'transactions-day2.csv');
    await writeFraudCsv(day2, { rows: options.secondRows, seed: 2 });
    const second = await pushDataset(ctx, day2, { model: MODEL });
    say(`pushed ${second.object.name}: ${options.secondRows} rows, dataset ${second.dataset_version}`);
    const run2 = await waitForUploadRun(ctx, MODEL, second.dataset_version, RUN_TIMEOUT_MS, progressPrinter(say));
    if (run2.status !== 'succeeded') throw new Error(`second run ${run2.id} ${run2.status}: ${run2.error}`);

    const runs = await listRuns(ctx, MODEL);
    const models = await listModels(ctx);
    say('');
    say(table(['run', 'version', 'status', 'auc', 'seconds', 'promoted'], runs.map((r) => [r.id, r.model_version, r.status, fixed(r.metrics?.auc), r.duration_seconds, r.promoted ? 'yes' : 'no'])));
    say('');
    say(table(['model', 'version', 'stage', 'holdout auc', 'decision'], models.map((m) => [m.model, m.version, m.stage, fixed(m.metrics.holdout_auc), m.decision?.reasons.join('; ')])));
    const production = models.find((m) => m.stage === 'production') ?? null;
    const datasets = await listDatasets(ctx);
    return {
      datasets: datasets.length,
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
    if (!options.keep) fs.rmSync(home, { recursive: true, force: true });
  }
}

function postScore(url: string, instances: unknown[]): Promise<Response> {
  return fetch(`${url}/score/${MODEL}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
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
