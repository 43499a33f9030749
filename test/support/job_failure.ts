import type { TrainingCompleted } from '../../shared/core/events';

/** What the train job reports when its first attempt at a fraud run fails on the data. */
export function jobFailure(runId: string): TrainingCompleted {
  return {
    run_id: runId,
    attempt: 1,
    model: 'fraud',
    model_version: 'v1',
    status: 'failed',
    error: 'bad data',
    finished_at: new Date().toISOString(),
  };
}
