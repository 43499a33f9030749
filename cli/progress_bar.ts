import type { RunProgress } from '../shared/pipeline/documents';
import { fixed } from './output';
import { progressText } from './progress_text';

/**
 * Training progress on stderr: a bar redrawn in place on a terminal, plain lines at most once a second
 * otherwise (a log file or a CI console cannot take carriage returns).
 */
const BAR_WIDTH = 24;
const LINE_EVERY_MS = 1000;

export interface ProgressReporter {
  update(progress: RunProgress): void;
  /** Ends the bar's line, so that what follows starts on a fresh one. */
  done(): void;
}

export function progressReporter(out: NodeJS.WritableStream & { isTTY?: boolean }): ProgressReporter {
  let lastLine = 0;
  let drawn = false;
  // early stopping ends before the last iteration: the final state is written when training ends
  let unwritten: RunProgress | null = null;
  const describe = (p: RunProgress) => `${progressText(p)}${p.loss === undefined ? '' : ` loss ${fixed(p.loss)}`}${p.val_loss === undefined ? '' : ` val_loss ${fixed(p.val_loss)}`}`;
  return {
    update(p) {
      if (out.isTTY) {
        const filled = Math.round((BAR_WIDTH * p.iteration) / Math.max(1, p.iterations));
        out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${describe(p)}\x1b[K`);
        drawn = true;
        return;
      }
      const now = Date.now();
      if (now - lastLine < LINE_EVERY_MS && p.iteration < p.iterations) {
        unwritten = p;
        return;
      }
      lastLine = now;
      unwritten = null;
      out.write(`${describe(p)}\n`);
    },
    done() {
      if (unwritten) out.write(`${describe(unwritten)}\n`);
      if (drawn) out.write('\n');
      drawn = false;
      unwritten = null;
    },
  };
}
