import type { ImageSpec } from '../../../../shared/data/images/image_spec';
import { makeJpeg } from './fixtures';

const spec: ImageSpec = { size: 4, channels: 3, layout: 'NHWC', scale: 1 / 255 };

test('sharp (libvips) is loaded at the first image that needs it, not with the module: a tabular server never pays for it', async () => {
  const jpeg = await makeJpeg(3, 16);
  let loads = 0;
  let preprocessImage: typeof import('../../../../shared/data/images/preprocess').preprocessImage | undefined;
  jest.isolateModules(() => {
    jest.doMock('sharp', () => {
      loads++;
      return jest.requireActual('sharp');
    });
    ({ preprocessImage } = require('../../../../shared/data/images/preprocess') as typeof import('../../../../shared/data/images/preprocess'));
  });
  expect(loads).toBe(0);
  const x = await preprocessImage!(jpeg, spec);
  expect(x).toHaveLength(4 * 4 * 3);
  expect(loads).toBe(1);
  await preprocessImage!(jpeg, spec);
  expect(loads).toBe(1);
});
