import { createHash } from 'node:crypto';

/** Ids derive from content so that a redelivered event names the same thing again. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function shortHash(data: string | Buffer, length = 16): string {
  return sha256Hex(data).slice(0, length);
}

export const datasetId = (model: string, datasetVersion: string) => `${model}:${datasetVersion}`;

export const runIdFor = (requestId: string) => `run-${shortHash(requestId, 12)}`;

export const modelVersionId = (model: string, version: string) => `${model}@${version}`;

const MODEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Model names become object prefixes, document ids and URL segments, so they are kept plain. */
export function isValidModelName(name: string): boolean {
  return MODEL_NAME.test(name);
}

/** A dataset version: the content hash of the file, so the same bytes always name the same version. */
export async function contentVersion(chunks: AsyncIterable<Buffer | string>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex').slice(0, 16);
}
