import { LocalJobLauncher } from '../../shared/platform/local/job_launcher';
import { jobLauncherContract } from './job_launcher.contract';
import { localHome } from './local_fixtures';

jobLauncherContract('local', async () => {
  const local = localHome({ MLOOP_MAX_PARALLEL_JOBS: '4' });
  return { launcher: new LocalJobLauncher(local.db, local.config, undefined, { killGraceMs: 300 }), cleanup: local.cleanup };
});
