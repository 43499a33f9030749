import type { ColumnData } from '../../../shared/data/column_summary';
import { propertyColumns, setProperties } from '../../../shared/data/images/image_properties';
import { seededRandom } from '../../../shared/data/random';
import { compareToReference } from '../../../shared/monitoring/drift';
import { renderDriftHtml } from '../../../shared/monitoring/drift_report_html';
import { buildImageReference, IMAGE_GROUPS } from '../../../shared/monitoring/image_reference';
import { ReferenceProfile } from '../../../shared/monitoring/reference_profile';
import { MonitoringSettings } from '../../../shared/monitoring/settings';

const CLASSES = ['circle', 'square', 'triangle'];

/** n training images of 32×32 with brightness around 0.45 and contrast around 0.2. */
function trainingProperties(n: number, seed: number) {
  const random = seededRandom(seed);
  const columns = propertyColumns(n);
  for (let i = 0; i < n; i++) setProperties(columns, i, { width: 32, height: 32, brightness: 0.45 + 0.05 * random.normal(), contrast: 0.2 + 0.02 * random.normal() });
  return columns;
}

/** Test-split probabilities: class i % 3 predicted with a confidence around 0.8. */
function probabilities(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(n * CLASSES.length);
  for (let i = 0; i < n; i++) {
    const top = Math.min(0.99, 0.8 + 0.1 * random.normal());
    for (let k = 0; k < CLASSES.length; k++) out[i * CLASSES.length + k] = k === i % CLASSES.length ? top : (1 - top) / 2;
  }
  return out;
}

describe('an image model reference profile', () => {
  const reference = buildImageReference(trainingProperties(300, 1), probabilities(90, 2), CLASSES);

  test('profiles the training images properties and the holdout class mix and confidence, in two groups', () => {
    expect(ReferenceProfile.parse(JSON.parse(JSON.stringify(reference)))).toEqual(reference);
    expect(reference.rows).toBe(300);
    expect(reference.scores).toBeNull();
    expect(reference.features.map((f) => [f.name, f.kind, f.count])).toEqual([
      ['width', 'numeric', 300],
      ['height', 'numeric', 300],
      ['brightness', 'numeric', 300],
      ['contrast', 'numeric', 300],
      ['predicted_label', 'categorical', 90],
      ['confidence', 'numeric', 90],
    ]);
    const label = reference.features[4];
    expect(label.kind !== 'numeric' && label.categories).toEqual([
      ['circle', 30],
      ['square', 30],
      ['triangle', 30],
    ]);
    const confidence = reference.features[5];
    expect(confidence.kind === 'numeric' && confidence.mean).toBeCloseTo(0.8, 1);
    const width = reference.features[0];
    expect(width.kind === 'numeric' && width.values).toEqual([[32, 300]]);
    expect(reference.groups).toEqual([
      { name: IMAGE_GROUPS.properties, features: ['width', 'height', 'brightness', 'contrast'] },
      { name: IMAGE_GROUPS.outputs, features: ['predicted_label', 'confidence'] },
    ]);
    expect(reference.prediction_fields).toEqual({ predicted_label: 'label', confidence: 'score' });
  });

  test('without measured properties the outputs are profiled alone', () => {
    const outputs = buildImageReference(null, probabilities(30, 3), CLASSES);
    expect(outputs.features.map((f) => f.name)).toEqual(['predicted_label', 'confidence']);
    expect(outputs.groups).toEqual([{ name: IMAGE_GROUPS.outputs, features: ['predicted_label', 'confidence'] }]);
    expect(outputs.rows).toBe(30);
  });

  /** A served window: n images with the given size, brightness and predicted classes. */
  function window(n: number, seed: number, o: { size?: number; brightness?: number; classes?: string[] } = {}) {
    const random = seededRandom(seed);
    const numeric = (f: () => number): ColumnData => ({ kind: 'numeric', values: Float64Array.from({ length: n }, f), missing: 0 });
    const classes = o.classes ?? CLASSES;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) counts.set(classes[i % classes.length], (counts.get(classes[i % classes.length]) ?? 0) + 1);
    return {
      rows: n,
      features: new Map<string, ColumnData>([
        ['width', numeric(() => o.size ?? 32)],
        ['height', numeric(() => o.size ?? 32)],
        ['brightness', numeric(() => (o.brightness ?? 0.45) + 0.05 * random.normal())],
        ['contrast', numeric(() => 0.2 + 0.02 * random.normal())],
        ['predicted_label', { kind: 'categorical', counts, missing: 0 }],
        ['confidence', numeric(() => Math.min(0.99, 0.8 + 0.1 * random.normal()))],
      ]),
      scores: null,
    };
  }
  const settings = MonitoringSettings.parse({});

  test('traffic like the training images: no group drifts', () => {
    const result = compareToReference(reference, window(300, 11), settings);
    expect(result.features.map((f) => f.test)).toEqual(['z', 'z', 'ks', 'ks', 'chisquare', 'ks']);
    expect(result.drifted).toEqual([]);
    expect(result.groups).toEqual([
      { name: IMAGE_GROUPS.properties, monitored: 4, drifted: [], share: 0 },
      { name: IMAGE_GROUPS.outputs, monitored: 2, drifted: [], share: 0 },
    ]);
    expect(result.dataset_drift).toBe(false);
  });

  test('larger images drift on their own: width and height are half of the properties group', () => {
    const result = compareToReference(reference, window(300, 12, { size: 96 }), settings);
    expect(result.drifted).toEqual(['width', 'height']);
    expect(result.groups![0]).toMatchObject({ drifted: ['width', 'height'], share: 0.5 });
    expect(result.share).toBe(0.5);
    expect(result.dataset_drift).toBe(true);
    expect(result.features[0].quality.issues[0]).toMatch(/outside the training range/);
  });

  test('darker images drift on brightness; one class only drifts the outputs group', () => {
    const darker = compareToReference(reference, window(300, 13, { brightness: 0.15 }), settings);
    expect(darker.drifted).toContain('brightness');
    expect(darker.dataset_drift).toBe(false);
    const dark = compareToReference(reference, window(300, 13, { brightness: 0.15 }), MonitoringSettings.parse({ drift_share: 0.25 }));
    expect(dark.dataset_drift).toBe(true);
    const one = compareToReference(reference, window(300, 14, { classes: ['square'] }), settings);
    expect(one.drifted).toEqual(['predicted_label']);
    expect(one.groups![1]).toMatchObject({ drifted: ['predicted_label'], share: 0.5 });
    expect(one.dataset_drift).toBe(true);
  });

  test('the drift report names each group', () => {
    const html = renderDriftHtml({ title: 't', subtitle: 's' }, compareToReference(reference, window(300, 14, { classes: ['square'] }), settings));
    expect(html).toContain('Dataset drift: image properties 0 of 4 drifted (share 0.00), model outputs 1 of 2 drifted (share 0.50); threshold 0.5 per group.');
  });
});
