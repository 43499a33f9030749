import { execFileSync } from 'node:child_process';
import path from 'node:path';

const TERRAFORM = path.resolve(__dirname, '..', '..', '..', 'terraform');

// `terraform fmt` needs no provider, so it runs wherever the binary is (CI's machine has it).
const terraform = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();
if (!terraform) console.log('terraform fmt -check skipped: no terraform binary on the PATH');

(terraform ? it : it.skip)('terraform/ is formatted as terraform fmt writes it', () => {
  const run = () => execFileSync(terraform!, ['fmt', '-check', '-recursive', '-diff', TERRAFORM], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(run).not.toThrow();
});
