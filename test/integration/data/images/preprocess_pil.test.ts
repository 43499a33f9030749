import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ImageSpec } from '../../../../shared/data/images/image_spec';
import { preprocessImage } from '../../../../shared/data/images/preprocess';
import { syntheticImages } from '../../../../shared/data/images/synthetic_images';

/**
 * preprocessImage against an independent decoder: Pillow, what Keras and torchvision users decode with.
 * At the spec size (no resize, where kernels legitimately differ) the numbers must agree: exactly for
 * PNG, within a decoder's rounding for JPEG, and for grayscale within the rounding of PIL's integer luma.
 * Needs a Python with Pillow: PIL_PYTHON names it (default python3); without one the test is skipped.
 */
const python = process.env.PIL_PYTHON ?? 'python3';
const hasPil = spawnSync(python, ['-c', 'import PIL'], { encoding: 'utf8' }).status === 0;

const PIL_DUMP = `
import sys
from PIL import Image
for f in sys.argv[2:]:
    im = Image.open(f).convert(sys.argv[1])
    sys.stdout.write(im.tobytes().hex() + "\\n")
`;

function pil(mode: 'RGB' | 'L', files: string[]): Buffer[] {
  const result = spawnSync(python, ['-c', PIL_DUMP, mode, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim().split('\n').map((line) => Buffer.from(line, 'hex'));
}

(hasPil ? describe : describe.skip)('preprocessImage agrees with Pillow', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pil-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each([3, 1] as const)('%i channel(s): PNG exactly, JPEG within decoder rounding', async (channels) => {
    const size = 32;
    const spec: ImageSpec = { size, channels, layout: 'NHWC', scale: 1 / 255 };
    const files: string[] = [];
    const ours: Float32Array[] = [];
    for await (const image of syntheticImages({ classes: 4, perClass: 4, size, seed: 11 })) {
      const file = path.join(dir, image.name.replace('/', '_'));
      writeFileSync(file, image.bytes);
      files.push(file);
      ours.push(await preprocessImage(image.bytes, spec));
    }
    const theirs = pil(channels === 3 ? 'RGB' : 'L', files);
    files.forEach((file, i) => {
      expect(theirs[i].length).toBe(ours[i].length);
      let worst = 0;
      let total = 0;
      for (let k = 0; k < theirs[i].length; k++) {
        const diff = Math.abs(ours[i][k] * 255 - theirs[i][k]);
        worst = Math.max(worst, diff);
        total += diff;
      }
      const png = file.endsWith('.png');
      // PIL's luma is integer-rounded, ours is not: half a level apart at most, for PNG
      if (png) expect(worst).toBeLessThanOrEqual(channels === 3 ? 1e-3 : 0.5 + 1e-3);
      else {
        expect(worst).toBeLessThanOrEqual(4);
        expect(total / theirs[i].length).toBeLessThan(1);
      }
    });
  });
});
