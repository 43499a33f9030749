import type { ModelPromoted } from '../../core/events';
import type { Deployment } from '../../platform/ports';
import type { Context } from '../context';
import { servingRollout } from '../promotion/serving_rollout';
import { storeOf } from '../store';

// Each round deploys what the registry said when it was read; two rounds that read the same agree.
const MAX_ROUNDS = 3;

/**
 * `model-promoted` (a promotion, approval, rollback, canary completed or aborted): deploy the scoring
 * service to what the whole registry says now, not to what the event says, so an event that arrives
 * late or twice, or two promotions racing, still end on the registry's latest state: the registry is
 * read again after each deployment and deployed again if it moved meanwhile.
 */
export async function syncServing(ctx: Context, event?: ModelPromoted): Promise<Deployment> {
  let deployed: string | undefined;
  let deployment: Deployment | undefined;
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    const rollout = servingRollout(await storeOf(ctx).models.list());
    const key = JSON.stringify(rollout);
    if (deployment && key === deployed) break;
    deployment = await ctx.platform.deployer.deploy(rollout);
    deployed = key;
  }
  ctx.log.info({ model: event?.model, version: event?.version, ...deployment }, 'serving follows the registry');
  return deployment!;
}
