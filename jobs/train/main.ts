import { loadConfig } from '../../shared/core/config';
import { errorMessage } from '../../shared/core/errors';
import { createLogger } from '../../shared/core/log';
import { runTrainingJob } from '../../shared/pipeline/usecases/run_training_job';
import { createPlatform } from '../../shared/platform';

/**
 * The train job entry point: a Cloud Run Job task on Google Cloud, a child process locally. Its inputs
 * come from the environment, as Cloud Run Job overrides set them. Exit 0 when the outcome (success or a
 * reported failure) was published; non-zero only when even reporting was impossible, so that the
 * platform's retry and the reconcile pass take over.
 */
async function main(): Promise<number> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, {
    component: 'train-job',
    run_id: config.job.runId,
    execution: config.job.execution,
    task_index: config.job.taskIndex,
  });
  const { runId, runAttempt } = config.job;
  if (!runId || !runAttempt) {
    log.error('MLOOP_RUN_ID and MLOOP_RUN_ATTEMPT must be set (the launcher sets them as job overrides)');
    return 2;
  }
  const platform = createPlatform(config, log);
  try {
    const outcome = await runTrainingJob({ config, log, platform }, runId, runAttempt);
    log.info({ outcome }, 'train job finished');
    return outcome === 'failed' ? 1 : 0;
  } catch (err) {
    log.error({ err: errorMessage(err) }, 'train job could not report its outcome');
    return 3;
  } finally {
    await platform.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`train job crashed: ${errorMessage(err)}\n`);
    process.exit(70);
  },
);
