import { startEmulator, stopEmulator, type RunningEmulator } from './emulator';
import { EMULATOR_ENV } from './hosts';

/**
 * Starts the Pub/Sub and Firestore emulators once per jest run and hands their hosts to the test
 * workers through the environment; global_teardown stops them. Tests isolate themselves by using a
 * project id of their own, which both emulators keep apart.
 */
export default async function globalSetup(): Promise<void> {
  const started = await Promise.allSettled([startEmulator('pubsub'), startEmulator('firestore')]);
  const running = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failed = started.flatMap((result) => (result.status === 'rejected' ? [result.reason as Error] : []));
  if (failed.length) {
    await Promise.all(running.map(stopEmulator));
    throw new Error(
      `${failed.map((err) => err.message).join('\n')}\n` +
        'The GCP adapter tests need the Google Cloud CLI with its pubsub-emulator and cloud-firestore-emulator components, and Java 17+.',
    );
  }
  for (const emulator of running) process.env[EMULATOR_ENV[emulator.kind]] = emulator.host;
  (globalThis as { mloopEmulators?: RunningEmulator[] }).mloopEmulators = running;
  // A run that ends without its teardown (an interrupted jest) must not leave Java processes behind.
  process.once('exit', () => {
    for (const emulator of running) {
      try {
        process.kill(-emulator.pgid, 'SIGKILL');
      } catch {
        // already stopped by global_teardown
      }
    }
  });
}
