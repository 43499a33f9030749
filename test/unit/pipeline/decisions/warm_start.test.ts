import { warmStartRefusal } from '../../../../shared/pipeline/decisions/warm_start';
import { DEFAULT_IMAGE_SPEC } from '../../../../shared/data/images/image_spec';

describe('warmStartRefusal', () => {
  const spec = { ...DEFAULT_IMAGE_SPEC, size: 16 };
  const wanted = { enabled: true, algorithm: 'cnn', spec, classes: ['a', 'b'] };
  const production = { version: 'v3', algorithm: 'cnn', classes: ['b', 'a'], image: spec };

  it('starts from production with the same family, image spec and class set (in any order)', () => {
    expect(warmStartRefusal(wanted, production)).toBeNull();
  });

  it('says why not otherwise', () => {
    expect(warmStartRefusal({ ...wanted, enabled: false }, production)).toBe('warm_start is false in mloop.json');
    expect(warmStartRefusal(wanted, null)).toBe('no production version to start from');
    expect(warmStartRefusal(wanted, { ...production, image: { ...spec, size: 32 } })).toBe(
      'production v3 reads images as 32×32×3 (NHWC, scale 0.00392156862745098), this run as 16×16×3 (NHWC, scale 0.00392156862745098)',
    );
    expect(warmStartRefusal(wanted, { ...production, image: undefined })).toBe('production v3 is not an image model');
    expect(warmStartRefusal({ ...wanted, classes: ['a', 'b', 'c'] }, production)).toBe('the class set changed since production v3 (added c): trained from scratch');
    expect(warmStartRefusal({ ...wanted, classes: ['a'] }, production)).toMatch(/removed b/);
  });
});
