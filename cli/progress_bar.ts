import type { RunProgress } from '../shared/pipeline/store/documents';
import { coloursFor } from './colour';
import { fixed } from './output';
import { progressText } from './progress_text';

/**
 * Training progress on stderr: a bar with the iteration and an ETA, redrawn in place on a terminal;
 * plain lines at most once a second otherwise (a log file or a CI console cannot take carriage
 * returns, nor colours).
 */
const BAR_WIDTH = 24;
const LINE_EVERY_MS = 1000;

export interface ProgressReporter {
  update(progress: RunProgress): void;
  /** Ends the bar's line, so that what follows starts on a fresh one. */
  done(): void;
}

type Out = NodeJS.WritableStream & { isTTY?: boolean };

/** "1m05s", "12s": the time left at the pace so far, once there is a pace to go by. */
export function formatEta(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/**
 * The pace is measured from the first update seen (a run followed halfway has no earlier start), per
 * trial of a sweep, so that a new trial restarting at iteration 1 does not read as going backwards.
 */
function etaClock(now: () => number) {
  let origin: { at: number; iteration: number; trial: number | undefined } | null = null;
  return (p: RunProgress): number | null => {
    if (!origin || origin.trial !== p.trial || p.iteration < origin.iteration) origin = { at: now(), iteration: p.iteration, trial: p.trial };
    const done = p.iteration - origin.iteration;
    if (done <= 0) return null;
    return ((now() - origin.at) / 1000 / done) * (p.iterations - p.iteration);
  };
}

export function progressReporter(out: Out, now: () => number = Date.now): ProgressReporter {
  const c = coloursFor(out);
  const eta = etaClock(now);
  let lastLine = 0;
  let drawn = false;
  // early stopping ends before the last iteration: the final state is written when training ends
  let unwritten: RunProgress | null = null;
  let family: string | undefined;
  const describe = (p: RunProgress, left: number | null) =>
    `${progressText(p)}${p.loss === undefined ? '' : ` loss ${fixed(p.loss)}`}${p.val_loss === undefined ? '' : ` val_loss ${fixed(p.val_loss)}`}` +
    (left === null || p.iteration >= p.iterations ? '' : ` ETA ${formatEta(left)}`);
  return {
    update(p) {
      const left = eta(p);
      if (out.isTTY) {
        const filled = Math.min(BAR_WIDTH, Math.round((BAR_WIDTH * p.iteration) / Math.max(1, p.iterations)));
        out.write(`\r${c.cyan('█'.repeat(filled))}${c.dim('░'.repeat(BAR_WIDTH - filled))} ${describe(p, left)}\x1b[K`);
        drawn = true;
        return;
      }
      const at = now();
      // auto's next candidate: the last state of the one before (it may have stopped early), then its own first line
      if (p.family !== family) {
        if (unwritten) out.write(`${describe(unwritten, null)}\n`);
        unwritten = null;
        lastLine = -Infinity;
        family = p.family;
      }
      if (at - lastLine < LINE_EVERY_MS && p.iteration < p.iterations) {
        unwritten = p;
        return;
      }
      lastLine = at;
      unwritten = null;
      out.write(`${describe(p, left)}\n`);
    },
    done() {
      if (unwritten) out.write(`${describe(unwritten, null)}\n`);
      if (drawn) out.write('\n');
      drawn = false;
      unwritten = null;
    },
  };
}
