import { IMAGE_PROPERTY_NAMES, imageProperties, propertyColumns, setProperties } from '../../../../shared/data/images/image_properties';

describe('imageProperties', () => {
  test('brightness is the mean ITU-R 601 luma over 255, contrast its standard deviation', () => {
    // black and white, half and half: mean 0.5, standard deviation 0.5
    expect(imageProperties({ width: 640, height: 480 }, Uint8Array.from([0, 0, 0, 255, 255, 255]), 3)).toEqual({ width: 640, height: 480, brightness: 0.5, contrast: 0.5 });
    // pure red, green, blue: luma 0.299, 0.587 and 0.114 of full scale
    const rgb = imageProperties({ width: 3, height: 1 }, Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255]), 3);
    expect(rgb.brightness).toBeCloseTo((0.299 + 0.587 + 0.114) / 3, 4);
    const mean = 1 / 3;
    const std = Math.sqrt(((0.299 - mean) ** 2 + (0.587 - mean) ** 2 + (0.114 - mean) ** 2) / 3);
    expect(rgb.contrast).toBeCloseTo(std, 4);
  });

  test('grey pixels measure as the same grey in colour, and a flat image has no contrast', () => {
    const grey = imageProperties({ width: 2, height: 2 }, Uint8Array.from([10, 60, 200, 250]), 1);
    const colour = imageProperties({ width: 2, height: 2 }, Uint8Array.from([10, 10, 10, 60, 60, 60, 200, 200, 200, 250, 250, 250]), 3);
    expect(colour).toEqual(grey);
    expect(grey.brightness).toBeCloseTo(130 / 255, 4);
    expect(imageProperties({ width: 1, height: 1 }, Uint8Array.from([51, 51, 51]), 3)).toEqual({ width: 1, height: 1, brightness: 0.2, contrast: 0 });
  });

  test('values are rounded to four decimals, and nothing to measure gives zeros', () => {
    const p = imageProperties({ width: 1, height: 1 }, Uint8Array.from([1]), 1);
    expect(p.brightness).toBe(0.0039);
    expect(imageProperties({ width: 0, height: 0 }, new Uint8Array(0), 3)).toEqual({ width: 0, height: 0, brightness: 0, contrast: 0 });
  });

  test('columns are filled in place, row by row', () => {
    const columns = propertyColumns(2);
    setProperties(columns, 1, { width: 32, height: 16, brightness: 0.25, contrast: 0.1 });
    expect(IMAGE_PROPERTY_NAMES.map((name) => Array.from(columns[name]))).toEqual([
      [0, 32],
      [0, 16],
      [0, 0.25],
      [0, 0.1],
    ]);
  });
});
