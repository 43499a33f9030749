import { TOPICS, type MonitoringTick } from '../shared/core/events';
import { runIdFor } from '../shared/core/ids';
import { fraudRows } from '../shared/data/synthetic';
import type { RunDoc } from '../shared/pipeline/store/documents';
import { storeOf } from '../shared/pipeline/store';
import { reportId } from '../shared/pipeline/monitoring/drift_report_store';
import { driftRequestId } from '../shared/pipeline/usecases/on_drift_detected';
import { estimatedText, reportText } from './drift_output';
import type { DemoStack } from './demo';
import { authorization } from './stack_client';
import { waitFor } from './wait';

export interface DemoDrift {
  share: number | null;
  drifted: string[];
  retrained: boolean;
  /** The AUC estimated from the calibrated scores at the tick, before any label, and the one the labels realised afterwards. */
  estimated_auc: number | null;
  realised_auc: number | null;
  /** The report's alarms when the tick ran, with no label in hand. */
  alarms: string[];
  /** The alarms of the next tick, once the labels were fed back: the label-based one comes here. */
  alarms_after_labels: string[];
}

/**
 * The demo's drifted traffic: every transaction a transfer. The payments and cash-ins the model scores
 * near zero are gone, so ranking fraud gets harder — a real loss of ROC AUC (about 0.06 on 10,000 rows)
 * that calibrated scores can see, since how fraud depends on the features did not change. (Tripling the
 * amounts, the demo's drift before, changed that dependence — the generator draws fraud from the amount
 * before scaling — which no estimate from scores can see.) 10,000 rows: at 2,000, with some 25 frauds,
 * the realised AUC itself moves by ±0.04 from one seed to the next.
 */
const DRIFTED_ROWS = 10_000;
export const DEMO_DRIFT = { typeMix: { PAYMENT: 0, TRANSFER: 1, CASH_OUT: 0, DEBIT: 0, CASH_IN: 0 } };
export const demoDriftedRows = () => [...fraudRows(DRIFTED_ROWS, 123, DEMO_DRIFT)];
const RUN_TIMEOUT_MS = 150_000;

/**
 * The demo's drift act: traffic whose amounts tripled and whose mix of transaction types moved is scored
 * over HTTP, a monitoring tick runs (published on the bus, as the scheduler would) with no label yet —
 * skew, and the AUC estimated from the calibrated scores — the report is printed, the retraining it
 * starts is requested, then the true labels are fed back and the AUC they realise is printed beside the
 * estimate, and the retraining is followed to its end.
 */
export async function demoDrift(
  stack: DemoStack,
  model: string,
  say: (line: string) => void,
  progress: (run: RunDoc) => void,
): Promise<DemoDrift & { runId: string }> {
  const { bus, clock } = stack.ctx.platform;
  const store = storeOf(stack.ctx);
  const rows = demoDriftedRows();
  const labels: Array<{ request_id: string; index: number; label: number }> = [];
  for (let i = 0; i < rows.length; i += 100) {
    const requestId = `demo-drift-${i / 100}`;
    const response = await post(stack, `/score/${model}`, { instances: rows.slice(i, i + 100) }, requestId);
    rows.slice(i, i + 100).forEach((row, index) => labels.push({ request_id: requestId, index, label: row.isFraud }));
    if (!response.ok) throw new Error(`scoring failed: HTTP ${response.status} ${await response.text()}`);
  }
  say(`scored ${rows.length} drifted transactions over HTTP (transfers only)`);

  const at = clock.now();
  const tick: MonitoringTick = { tick_id: 'demo', model, requested_at: at.toISOString() };
  await bus.publish(TOPICS.monitoringTick, tick);
  const report = await waitFor('the drift report', () => store.driftReports.get(reportId(model, at)), RUN_TIMEOUT_MS, 100);
  say('');
  say(reportText(report));
  if (!report.event) throw new Error(`the monitoring tick found no drift (share ${report.share}): the demo expected some`);

  const runId = runIdFor(driftRequestId(model, report.id));
  // the retraining is requested on what is known now, before the labels: then they come back
  await waitFor(`retraining run ${runId} to be requested`, () => store.runs.get(runId), RUN_TIMEOUT_MS, 100);
  const fed = await post(stack, '/feedback', labels);
  if (!fed.ok) throw new Error(`feedback failed: HTTP ${fed.status} ${await fed.text()}`);
  say(`fed back ${labels.length} labels to POST /feedback`);
  const estimate = (await store.driftReports.get(report.id))?.estimated_performance ?? null;
  if (estimate) say(estimatedText(estimate));
  // the label-based alarm needs the labels in hand: the next tick judges the AUC they realise
  const next = new Date(at.getTime() + 60_000);
  await bus.publish(TOPICS.monitoringTick, { tick_id: 'demo-labels', model, requested_at: next.toISOString() } satisfies MonitoringTick);
  const labelled = await waitFor('the next drift report', () => store.driftReports.get(reportId(model, next)), RUN_TIMEOUT_MS, 100);
  say(`next tick, labels in hand: alarms ${(labelled.alarms ?? []).join(', ') || 'none'}${labelled.performance ? ` (${labelled.performance.summary})` : ''}`);
  const run = await waitFor(
    `retraining run ${runId}`,
    async () => {
      const current = await store.runs.get(runId);
      if (current) progress(current);
      return current && (current.status === 'succeeded' || current.status === 'failed') ? current : null;
    },
    RUN_TIMEOUT_MS,
    500,
  );
  say(`retraining ${run.id} (reason ${run.reason}, dataset ${run.dataset_version}: the upload, requested before the labels came back) ${run.status}`);
  return {
    share: report.share,
    drifted: report.drifted,
    retrained: run.status === 'succeeded',
    runId: run.id,
    estimated_auc: estimate?.auc ?? null,
    realised_auc: estimate?.realised?.auc ?? null,
    alarms: report.alarms ?? [],
    alarms_after_labels: labelled.alarms ?? [],
  };
}

function post(stack: DemoStack, route: string, body: unknown, requestId?: string): Promise<Response> {
  return fetch(`${stack.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization(stack.ctx.config), ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify(body),
  });
}
