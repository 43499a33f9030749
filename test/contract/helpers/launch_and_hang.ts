// A stack stand-in that launches a long job, prints its execution id, and waits to be killed.
import { configFor } from '../../../shared/core/config';
import { LocalJobLauncher } from '../../../shared/platform/local/job_launcher';
import { openDatabase } from '../../../shared/platform/local/sqlite';

async function main(): Promise<void> {
  const [home, jobScript] = process.argv.slice(2);
  const config = configFor(home, { MLOOP_JOB_SCRIPT: jobScript });
  const launcher = new LocalJobLauncher(openDatabase(home), config);
  const execution = await launcher.launch({ runId: 'run-lost', attempt: 1, env: { MLOOP_TEST_JOB: 'sleep:60000' } });
  console.log(`launched ${execution.id}`);
  setInterval(() => undefined, 1000);
}

void main();
