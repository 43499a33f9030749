import { Command } from 'commander';
import { loadConfig } from '../shared/core/config';
import { reportError } from './error_report';
import { registerServeCommand } from './serve_command';

/**
 * `mloop serve` as an entry of its own (dist/cli/serve.js, which bin/mloop.js runs for `serve`): the
 * whole CLI's bundle loads the trainers, the dashboard's web server, the image and archive libraries
 * at start, a cost every scoring process (the primary and each worker) paid before its first score.
 */
const program = new Command('mloop');
registerServeCommand(program);

program.parseAsync(process.argv).catch((err) => {
  let debug = false;
  try {
    const level = loadConfig().logLevel;
    debug = level === 'debug' || level === 'trace';
  } catch {
    // the configuration itself may be what failed
  }
  const report = reportError(err, { json: process.argv.includes('--json'), debug });
  process.stderr.write(report.text);
  process.exitCode = report.exitCode;
});
