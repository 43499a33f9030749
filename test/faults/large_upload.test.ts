import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { build } from 'esbuild';

jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * A large upload is validated streaming: the ingest process's peak RSS stays far below the file's size.
 * CI ingests 512 MB; `npm run bench:ingest` does the same with 2 GB.
 */
describe('a large upload', () => {
  it('is ingested with bounded memory (512 MB file, peak RSS < 500 MB)', async () => {
    // Next to the other bundles, where node finds the packages the bundle leaves external.
    const script = path.join(ROOT, 'dist', 'test', 'ingest_large_upload.js');
    await build({ entryPoints: [path.join(__dirname, 'helpers', 'ingest_large_upload.ts')], bundle: true, platform: 'node', target: 'node20', packages: 'external', outfile: script, logLevel: 'warning' });
    const result = spawnSync(process.execPath, [script, '512'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    const line = JSON.parse(result.stdout.trim().split('\n').pop()!) as { bytes: number; rows_written: number; status: string; rows: number; peak_rss_mb: number };
    expect(line.bytes).toBeGreaterThan(512 * 1024 * 1024);
    expect(line).toMatchObject({ status: 'accepted', rows: line.rows_written });
    expect(line.peak_rss_mb).toBeLessThan(500);
  });
});
