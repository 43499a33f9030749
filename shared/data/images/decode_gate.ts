/**
 * libvips reports errors through one buffer that concurrent decodes share: when several images fail at
 * once, one may lose its message and read "Unknown error", so a truncated image would be reported as
 * undecodable at random. Decodes run side by side (`shared`), and a failed one is tried again alone
 * (`exclusive`: it waits until none other is running and holds the next ones back), where its error is
 * its own. Failures are rare, so the cost is too.
 */
let running = 0;
let idle: (() => void)[] = [];
let gate: Promise<void> = Promise.resolve();
let closed = false;

export async function shared<T>(work: () => Promise<T>): Promise<T> {
  while (closed) await gate;
  running++;
  try {
    return await work();
  } finally {
    running--;
    if (running === 0) {
      const waiting = idle;
      idle = [];
      for (const resolve of waiting) resolve();
    }
  }
}

export async function exclusive<T>(work: () => Promise<T>): Promise<T> {
  const previous = gate;
  let release!: () => void;
  gate = new Promise<void>((resolve) => (release = resolve));
  await previous;
  closed = true;
  try {
    if (running > 0) await new Promise<void>((resolve) => idle.push(resolve));
    return await work();
  } finally {
    closed = false;
    release();
  }
}
