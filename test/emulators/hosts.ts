/** Where global_setup tells the test workers the emulators listen. */
export const EMULATOR_ENV = {
  pubsub: 'MLOOP_TEST_PUBSUB_EMULATOR_HOST',
  firestore: 'MLOOP_TEST_FIRESTORE_EMULATOR_HOST',
} as const;

export function emulatorHost(kind: keyof typeof EMULATOR_ENV): string {
  const host = process.env[EMULATOR_ENV[kind]];
  if (!host) throw new Error(`${EMULATOR_ENV[kind]} is not set: run the tests through jest, whose globalSetup starts the emulators`);
  return host;
}
