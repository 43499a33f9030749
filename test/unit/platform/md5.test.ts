import { createHash, randomBytes } from 'node:crypto';
import { md5Yielding } from '../../../shared/platform/md5';

const md5 = (body: Buffer) => createHash('md5').update(body).digest('base64');

describe('md5Yielding', () => {
  it.each([0, 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 1_000_003])("is the whole body's MD5 at %d bytes", async (size) => {
    const body = randomBytes(size);
    expect(await md5Yielding(body)).toBe(md5(body));
  });

  it('lets other work run between its slices', async () => {
    let done = false;
    const ranBeforeDone = new Promise<boolean>((resolve) => setImmediate(() => resolve(!done)));
    await md5Yielding(randomBytes(1_000_000));
    done = true;
    expect(await ranBeforeDone).toBe(true);
  });
});
