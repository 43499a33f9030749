import { spawn } from 'node:child_process';
import { isAlive } from '../../shared/platform/local/pids';
import { waitFor } from './support';

describe('isAlive', () => {
  test('a running process is alive, an exited one is not', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 5000)']);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    expect(isAlive(child.pid!)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    expect(isAlive(child.pid!)).toBe(false);
  });

  test('a zombie nobody reaps counts as gone', async () => {
    // The shell forks a child, then becomes `sleep`, which never reaps it: the child exits into a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    parent.stdout.on('data', (chunk) => (out += chunk));
    try {
      const pid = Number((await waitFor(() => out.match(/^(\d+)\n/), 'the zombie pid'))[1]);
      expect(isAlive(pid)).toBe(true);
      await waitFor(() => !isAlive(pid), 'the child to exit', 2000);
      expect(() => process.kill(pid, 0)).not.toThrow();
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
