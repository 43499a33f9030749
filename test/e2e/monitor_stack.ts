import type { Stack } from '../../cli/stack';
import type { DriftReportDoc } from '../../shared/pipeline/store/monitoring_documents';
import type { MonitorOutcome } from '../../shared/pipeline/usecases/on_monitoring_tick';
import type { LocalEventBus } from '../../shared/platform/local/event_bus';
import { until } from './helpers';

/** One monitoring tick of `model` through the stack's admin API; its drift report (a tick that reports nothing fails). */
export async function tick(stack: Stack, model: string): Promise<DriftReportDoc> {
  const response = await fetch(`${stack.url}/api/monitor?model=${model}`, { method: 'POST' });
  expect(response.status).toBe(200);
  const [outcome] = (await response.json()) as MonitorOutcome[];
  if (outcome.outcome !== 'reported') throw new Error(`no report: ${outcome.reason}`);
  return outcome.report;
}

/** Until the stack's onDriftDetected subscription has nothing queued or in hand. */
export const driftEventsHandled = (stack: Stack) =>
  until('drift events to be handled', () => {
    const stats = (stack.ctx.platform.bus as LocalEventBus).queueStats().find((s) => s.subscription === 'on-drift-detected');
    return stats && stats.pending === 0 && stats.inFlight === 0 ? true : null;
  });
