import { randomBytes } from 'node:crypto';
import { emulatorHost } from '../emulators/hosts';

/** A project id of the test's own: the emulators keep projects apart, so tests never see each other's state. */
export function testProject(label: string): string {
  return `mloop-${label}-${randomBytes(4).toString('hex')}`;
}

export const pubsubEmulator = () => emulatorHost('pubsub');
export const firestoreEmulator = () => emulatorHost('firestore');
