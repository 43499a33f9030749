import type { ServiceDeployer } from '../ports';

/**
 * Nothing to roll out locally: the in-process scorer reloads on `model-promoted`. The revision name
 * still says what is served, as a Cloud Run revision would.
 */
export class LocalServiceDeployer implements ServiceDeployer {
  async deploy(model: string, version: string): Promise<{ revision: string }> {
    return { revision: `local-${model}-${version}` };
  }
}
