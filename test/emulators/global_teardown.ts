import { stopEmulator, type RunningEmulator } from './emulator';

export default async function globalTeardown(): Promise<void> {
  const running = (globalThis as { mloopEmulators?: RunningEmulator[] }).mloopEmulators ?? [];
  await Promise.all(running.map(stopEmulator));
}
