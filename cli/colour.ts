import pc from 'picocolors';
import type { Paint } from './output';

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

const STATUS_COLUMNS = new Set(['status', 'stage']);

/** Colours the status and stage columns of a table by their first word ("failed (attempt 2)"). */
export function statusColumns(c: Colours): Paint {
  return (padded, header) => {
    if (!STATUS_COLUMNS.has(header)) return padded;
    const word = padded.split(' ')[0];
    return statusColour(c, word) + padded.slice(word.length);
  };
}
