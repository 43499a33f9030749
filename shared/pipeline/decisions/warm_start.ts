import type { ImageSpec } from '../../data/images/image_spec';

/**
 * Whether an image run may start from production's weights, decided before any are read: warm start on
 * (mloop.json's `warm_start`, default true), a production version of the same family, reading images
 * through the same spec, over the same set of classes (in any order: the trainer matches them by name).
 * The filters are checked by the trainer itself, against the weights. Fine-tuning on a class set that
 * changed would start the softmax layer half from nothing and half from classes that no longer mean
 * the same, so it trains from scratch instead; every refusal says why, for the run document.
 */
export interface WarmStartSource {
  version: string;
  algorithm: string;
  classes: readonly string[] | null;
  image?: ImageSpec;
}

export interface WarmStartWanted {
  enabled: boolean;
  algorithm: string;
  spec: ImageSpec;
  classes: readonly string[];
}

const specText = (s: ImageSpec) => `${s.size}×${s.size}×${s.channels} (${s.layout}, scale ${s.scale})`;

/** null when the run may start from `production`'s weights, else why not. */
export function warmStartRefusal(wanted: WarmStartWanted, production: WarmStartSource | null): string | null {
  if (!wanted.enabled) return 'warm_start is false in mloop.json';
  if (!production) return 'no production version to start from';
  const from = `production ${production.version}`;
  if (production.algorithm !== wanted.algorithm) return `${from} is a ${production.algorithm} model, this run trains ${wanted.algorithm}`;
  if (!production.image) return `${from} is not an image model`;
  const a = production.image;
  const b = wanted.spec;
  if (a.size !== b.size || a.channels !== b.channels || a.layout !== b.layout || a.scale !== b.scale) {
    return `${from} reads images as ${specText(a)}, this run as ${specText(b)}`;
  }
  const theirs = production.classes ?? [];
  const added = wanted.classes.filter((c) => !theirs.includes(c));
  const removed = theirs.filter((c) => !wanted.classes.includes(c));
  if (added.length || removed.length) {
    const what = [added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean).join('; ');
    return `the class set changed since ${from} (${what}): trained from scratch`;
  }
  return null;
}
