/**
 * Which side of a canary a request falls on, by its id: FNV-1a of the id, modulo 100, below the share.
 * A caller that resends the same `x-request-id` always gets the same version; ids spread evenly.
 */
export function inCanary(requestId: string, percent: number): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) {
    hash ^= requestId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 100 < percent;
}
