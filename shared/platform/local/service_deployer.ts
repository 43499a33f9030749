import { formatModelVersions } from '../../core/served_models';
import type { Deployment, ServiceDeployer, ServingRollout } from '../ports';

/**
 * Nothing to roll out locally: one process serves, and it follows the registry itself (the swap on
 * `model-promoted`, a canary split by request hash). The names still say what would serve, as Cloud
 * Run revisions would.
 */
export class LocalServiceDeployer implements ServiceDeployer {
  async deploy(rollout: ServingRollout): Promise<Deployment> {
    const revision = `local:${formatModelVersions(rollout.target.models)}`;
    if (!rollout.canary) return { revision, traffic: [{ revision, percent: 100 }], created: [] };
    const stable = `local:${formatModelVersions(rollout.canary.stable.models)}`;
    return { revision, traffic: [{ revision, percent: rollout.canary.percent }, { revision: stable, percent: 100 - rollout.canary.percent }], created: [] };
  }
}
