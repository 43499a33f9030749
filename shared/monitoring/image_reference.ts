import type { ColumnData } from '../data/column_summary';
import { IMAGE_PROPERTY_NAMES, type ImagePropertyColumns } from '../data/images/image_properties';
import { buildReference, type ReferenceOptions, type ReferenceProfile } from './reference_profile';

/**
 * An image model's reference.json: no table to profile, so the profile describes what can be seen of the
 * images and of the model. The train split's image properties (width, height, brightness, contrast) are
 * one group; the model's predicted class and confidence (its top-1 probability) on the test split are
 * another. Each group is judged against drift_share on its own: larger images alone (width and height)
 * or a class mix alone is drift, where six features in one share would need three to move together.
 */
export const IMAGE_GROUPS = { properties: 'image properties', outputs: 'model outputs' } as const;

/** The output features, and the field of a logged image prediction each is read from. */
export const IMAGE_OUTPUT_FIELDS = { predicted_label: 'label', confidence: 'score' } as const;

/**
 * `probabilities` are the model's outputs on its test split, [n × classes.length] row-major; the
 * properties are those of its training images, or null when they were not measured (the outputs are
 * then profiled alone).
 */
export function buildImageReference(
  properties: ImagePropertyColumns | null,
  probabilities: Float32Array,
  classes: readonly string[],
  options: ReferenceOptions = {},
): ReferenceProfile {
  const K = classes.length;
  const n = K > 0 ? Math.floor(probabilities.length / K) : 0;
  const confidence = new Float64Array(n);
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < K; k++) if (probabilities[i * K + k] > probabilities[i * K + best]) best = k;
    confidence[i] = probabilities[i * K + best];
    counts.set(classes[best], (counts.get(classes[best]) ?? 0) + 1);
  }
  const images: Array<{ name: string } & ColumnData> = properties
    ? IMAGE_PROPERTY_NAMES.map((name) => ({ name, kind: 'numeric' as const, values: properties[name], missing: 0 }))
    : [];
  const outputs: Array<{ name: string } & ColumnData> = [
    { name: 'predicted_label', kind: 'categorical', counts, missing: 0 },
    { name: 'confidence', kind: 'numeric', values: confidence, missing: 0 },
  ];
  const profile = buildReference([...images, ...outputs], null, options);
  return {
    ...profile,
    rows: properties ? properties.width.length : n,
    groups: [
      ...(properties ? [{ name: IMAGE_GROUPS.properties, features: [...IMAGE_PROPERTY_NAMES] }] : []),
      { name: IMAGE_GROUPS.outputs, features: outputs.map((o) => o.name) },
    ],
    prediction_fields: { ...IMAGE_OUTPUT_FIELDS },
  };
}
