import sharp, { type Sharp } from 'sharp';
import { seededRandom } from '../../../../shared/data/random';
import { quickHeader } from '../../../../shared/data/images/quick_header';

/**
 * The quick header must say what sharp says, or nothing: checked on every kind of file the three formats
 * hold (the plain ones it reads, the others it must leave to sharp), and on damaged copies of them.
 */
const base = (channels: 3 | 4, width = 37, height = 23) =>
  sharp({ create: { width, height, channels, background: channels === 4 ? { r: 200, g: 40, b: 90, alpha: 0.5 } : { r: 200, g: 40, b: 90 } } });

async function files(): Promise<Array<{ name: string; bytes: Buffer; quick: boolean }>> {
  const made = async (name: string, quick: boolean, image: Sharp) => ({ name, bytes: await image.toBuffer(), quick });
  return Promise.all([
    made('png rgb', true, base(3).png()),
    made('png rgba', true, base(4).png()),
    made('png grey', true, base(3).toColourspace('b-w').png()),
    made('png grey alpha', true, base(4).toColourspace('b-w').png()),
    made('png 16 bits', false, base(3).toColourspace('rgb16').png()),
    made('png palette', false, base(3).png({ palette: true })),
    made('png palette alpha', false, base(4).png({ palette: true })),
    made('png rotated', false, base(3).png().withMetadata({ orientation: 6 })),
    made('jpeg rgb', true, base(3).jpeg()),
    made('jpeg progressive', true, base(3).jpeg({ progressive: true })),
    made('jpeg grey', true, base(3).toColourspace('b-w').jpeg()),
    made('jpeg large', true, base(3, 1200, 700).jpeg()),
    made('jpeg rotated', false, base(3).jpeg().withMetadata({ orientation: 6 })),
    made('jpeg cmyk', false, base(3).toColourspace('cmyk').jpeg()),
    made('webp lossy', true, base(3).webp()),
    made('webp lossless', false, base(3).webp({ lossless: true })),
    made('webp alpha', false, base(4).webp()),
  ]);
}

async function sharpSays(bytes: Buffer) {
  const meta = await sharp(bytes).metadata();
  const { width, height } = meta.autoOrient ?? meta;
  return { format: meta.format, width, height, channels: meta.channels };
}

test('reads the plain files as sharp does, and leaves the others to it', async () => {
  for (const file of await files()) {
    const quick = quickHeader(file.bytes);
    if (!file.quick) {
      expect([file.name, quick]).toEqual([file.name, null]);
      continue;
    }
    expect([file.name, quick && { format: quick.format, width: quick.width, height: quick.height, channels: quick.channels }]).toEqual([file.name, await sharpSays(file.bytes)]);
    expect(quick!.colour).toBe({ 1: 'grayscale', 2: 'grayscale_alpha', 3: 'rgb', 4: 'rgba' }[quick!.channels]);
  }
});

test('damaged files never throw, and whatever it still reads agrees with sharp', async () => {
  const random = seededRandom(7);
  let read = 0;
  for (const file of await files()) {
    for (let k = 0; k < 60; k++) {
      const bytes = Buffer.from(file.bytes);
      const cut = k % 3 === 0 ? Math.floor(random.next() * bytes.length) : bytes.length;
      for (let flips = 1 + Math.floor(random.next() * 4); flips > 0; flips--) bytes[Math.floor(random.next() * Math.min(cut, 64))] = Math.floor(random.next() * 256);
      const damaged = bytes.subarray(0, cut);
      const quick = quickHeader(damaged);
      if (!quick) continue;
      expect(quick.width).toBeGreaterThan(0);
      expect(quick.height).toBeGreaterThan(0);
      const theirs = await sharpSays(damaged).catch(() => null);
      // sharp may refuse what the first bytes still describe: the decode refuses it then, as before
      if (theirs === null) continue;
      read++;
      expect({ format: quick.format, width: quick.width, height: quick.height, channels: quick.channels }).toEqual(theirs);
    }
  }
  expect(read).toBeGreaterThan(50);
});
