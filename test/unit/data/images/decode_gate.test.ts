import { exclusive, shared } from '../../../../shared/data/images/decode_gate';

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

test('an exclusive task waits for the running shared ones and holds new ones back until it ends', async () => {
  const log: string[] = [];
  const task = (name: string, ticks: number) => async () => {
    log.push(`${name} start`);
    for (let i = 0; i < ticks; i++) await tick();
    log.push(`${name} end`);
    return name;
  };
  const a = shared(task('a', 3));
  const b = shared(task('b', 1));
  const x = exclusive(task('x', 2));
  await tick();
  const c = shared(task('c', 1));
  expect(await Promise.all([a, b, x, c])).toEqual(['a', 'b', 'x', 'c']);
  expect(log.indexOf('x start')).toBeGreaterThan(Math.max(log.indexOf('a end'), log.indexOf('b end')));
  expect(log.indexOf('c start')).toBeGreaterThan(log.indexOf('x end'));
});

test('a failing task releases the gate', async () => {
  await expect(exclusive(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  await expect(shared(async () => 'after')).resolves.toBe('after');
  await expect(exclusive(async () => 'again')).resolves.toBe('again');
});
