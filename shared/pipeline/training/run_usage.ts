import type { Config } from '../../core/config';
import { estimateCost, type CostEstimate, type RunResources } from '../../core/cost';
import type { RunDoc } from '../store/documents';

export interface RunUsage {
  duration_seconds?: number;
  resources: RunResources;
  cost_estimate?: CostEstimate;
}

/**
 * What a finishing run used: from its first launch (or its claim, if no launch was recorded) to now,
 * on the resources the job is configured with. Retries and the time queued between them are inside
 * that span, so the cost is an upper bound of what the executions were billed.
 */
export function runUsage(config: Config, run: RunDoc, now: Date): RunUsage {
  const start = run.started_at ?? run.claimed_at;
  const resources = config.jobResources;
  if (!start) return { resources };
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(start)) / 100) / 10);
  return { duration_seconds: seconds, resources, cost_estimate: estimateCost(seconds, resources, config.prices) };
}
