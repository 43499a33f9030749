import pc from 'picocolors';
import { coloursFor, statusColumns } from '../../../cli/colour';
import { table } from '../../../cli/output';

const rows = [['run-1', 'failed (attempt 2)'], ['run-22', 'succeeded']];

describe('colours in CLI tables', () => {
  it('colour the status column by its first word, keeping the columns aligned', () => {
    const coloured = table(['run', 'status'], rows, statusColumns(pc.createColors(true)));
    expect(coloured).toContain('\x1b[31mfailed\x1b[39m (attempt 2)');
    expect(coloured).toContain('\x1b[32msucceeded\x1b[39m');
    const plain = coloured.replace(/\x1b\[\d+m/g, '');
    expect(plain).toBe(table(['run', 'status'], rows));
  });

  it('are never written to a stream that is not a terminal', () => {
    expect(table(['run', 'status'], rows, statusColumns(coloursFor({ isTTY: false })))).not.toMatch(/\x1b/);
  });
});
