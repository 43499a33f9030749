import type { PreparedData } from '../../data/prepare';
import { beats, runSweep, type TrialRecord } from '../../ml/sweep';
import type { Context } from '../context';
import type { RunDoc, SweepState } from '../store/documents';
import { storeOf } from '../store';
import { completeCandidate, sweepOf, type Candidate, type Parallelism, type ProgressSink } from './train_core';
import type { TrainingPlan } from './training_plan';

/**
 * One Cloud Run task's part of a sweep spread over the tasks of an execution. Task i trains the trials
 * t with t mod count = i, then, in one transaction on the run document, adds its trial records and
 * marks itself done; the task that completes the set becomes the finisher. Only the finisher goes on:
 * it keeps the winner when it trained it, else trains the winner's parameters again, evaluates it and
 * publishes the outcome — once, whatever the order the tasks end in. A task Cloud Run retries rewrites
 * the same records; the finisher, retried, finds itself named and finishes again.
 */
export type ShareOutcome = { role: 'finisher'; candidate: Candidate } | { role: 'contributor' } | { role: 'stale' };

export async function runSweepShare(
  ctx: Context,
  run: RunDoc,
  attempt: number,
  data: PreparedData,
  plan: TrainingPlan,
  parallelism: Parallelism,
  onProgress: ProgressSink,
): Promise<ShareOutcome> {
  const { taskIndex, taskCount } = ctx.config.job;
  const sweepOptions = sweepOf(plan, onProgress);
  const mine = plan.trials.map((_, t) => t).filter((t) => t % taskCount === taskIndex);
  const local = mine.length > 0 ? await runSweep(data, { ...sweepOptions, ...parallelism, indices: mine }) : null;

  const claim = await storeOf(ctx).inTransaction(async (tx) => {
    const current = await tx.runs.get(run.id);
    if (!current || current.status !== 'running' || current.attempt !== attempt) return null;
    const previous: SweepState = current.sweep?.attempt === attempt ? current.sweep : { attempt, tasks: taskCount, done: [], trials: {}, finisher: null };
    const trials = { ...previous.trials };
    for (const record of local?.records ?? []) trials[String(record.trial)] = { ...record, task: taskIndex };
    const done = [...new Set([...previous.done, taskIndex])].sort((a, b) => a - b);
    const finisher = previous.finisher ?? (done.length >= taskCount ? taskIndex : null);
    const sweep: SweepState = { ...previous, trials, done, finisher };
    tx.runs.update(run.id, { sweep });
    return { sweep, reported: current.reported_attempt === attempt };
  });
  if (!claim) return { role: 'stale' };
  const { sweep } = claim;
  ctx.log.info({ run_id: run.id, task: taskIndex, trials: mine.length, done: sweep.done, finisher: sweep.finisher }, 'sweep share recorded');
  // a finisher that Cloud Run runs again after it published has nothing left to do
  if (sweep.finisher !== taskIndex || claim.reported) return { role: 'contributor' };

  const records: TrialRecord[] = Object.values(sweep.trials).sort((a, b) => a.trial - b.trial);
  const best = records.reduce((winner, record) => (beats(plan.metric, record, winner) ? record : winner));
  const fitted =
    local && local.best.record.trial === best.trial
      ? local.best.fitted
      : (await runSweep(data, { ...sweepOptions, indices: [best.trial], workers: 1, workerScript: parallelism.workerScript })).best.fitted;
  return { role: 'finisher', candidate: await completeCandidate(data, plan, fitted, records, best.trial) };
}
