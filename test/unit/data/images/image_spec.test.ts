import { DEFAULT_IMAGE_SPEC, imageSpecFrom } from '../../../../shared/data/images/image_spec';

test('a spec from the model settings: defaults, and values checked with what is allowed', () => {
  expect(DEFAULT_IMAGE_SPEC).toEqual({ size: 64, channels: 3, layout: 'NHWC', scale: 1 / 255 });
  expect(imageSpecFrom({})).toEqual(DEFAULT_IMAGE_SPEC);
  expect(imageSpecFrom({ image_size: 96, channels: 1 })).toEqual({ size: 96, channels: 1, layout: 'NHWC', scale: 1 / 255 });
  expect(() => imageSpecFrom({ image_size: 1024 })).toThrow(/from 8 to 512/);
  expect(() => imageSpecFrom({ image_size: '64' })).toThrow(/not "64"/);
  expect(() => imageSpecFrom({ channels: 4 })).toThrow(/1 \(grayscale\) or 3/);
});
