import type Sharp from 'sharp';

let loaded: typeof Sharp | undefined;

/**
 * sharp, loaded at the first image: a server of tabular models never decodes one, and loading libvips
 * cost every scoring process about 40 ms of its cold start.
 */
export async function loadSharp(): Promise<typeof Sharp> {
  if (!loaded) {
    const sharp = (await import('sharp')).default;
    // libvips' operation cache keys every call by its input: no two uploaded images are alike, so it only
    // costs (about a tenth of a small image's decode, measured on 28×28 PNGs) and holds memory
    sharp.cache(false);
    loaded = sharp;
  }
  return loaded;
}
