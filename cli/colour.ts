import pc from 'picocolors';

/**
 * Colours for one stream: only on a terminal, and never when NO_COLOR (or --no-color) is set, which
 * picocolors' own check covers. A log file or a pipe gets plain text.
 */
export type Colours = ReturnType<typeof pc.createColors>;

export function coloursFor(stream: { isTTY?: boolean }): Colours {
  return pc.createColors(pc.isColorSupported && Boolean(stream.isTTY));
}

export function statusColour(c: Colours, status: string): string {
  if (status === 'succeeded' || status === 'accepted' || status === 'production') return c.green(status);
  if (status === 'failed' || status === 'rejected') return c.red(status);
  if (status === 'running' || status === 'queued' || status === 'candidate') return c.yellow(status);
  return status;
}
