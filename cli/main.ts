import { tagsFromArgs } from '../shared/core/tags';
import { Command, Option } from 'commander';
import { loadConfig } from '../shared/core/config';
import { MloopError } from '../shared/core/errors';
import { createLogger } from '../shared/core/log';
import { aboutFile } from '../shared/data/csv_file_errors';
import { writeFraudCsv, writeFraudParquet } from '../shared/data/synthetic';
import { SYNTHETIC_CLASSES, writeSyntheticImages } from '../shared/data/images/synthetic_images';
import { headlineText } from '../shared/ml/headline_metrics';
import { classEvaluation } from '../shared/pipeline/read_models/image_evaluation';
import { getRun, listDatasets, runView } from '../shared/pipeline/read_models/listings';
import { getRunDetail } from '../shared/pipeline/read_models/run_detail';
import { runningStackPid } from '../shared/platform/local/instance_lock';
import { withContext } from './cli_context';
import { runDemo } from './demo';
import { registerDlqCommand } from './dlq_command';
import { registerDriftCommands } from './drift_command';
import { registerExplainCommand } from './explain_command';
import { reportError } from './error_report';
import { registerModelsCommand } from './models_command';
import { registerRetrainCommand } from './retrain_command';
import { registerSchedulesCommand } from './schedules_command';
import { registerRunsCompareCommand } from './runs_compare_command';
import { keyValue } from './key_values';
import { listRunPages, type RunsOptions } from './runs_listing';
import { registerLogsCommand, registerRunsCancel } from './run_jobs_commands';
import { registerServeCommand } from './serve_command';
import { classReportText } from './class_report_text';
import { coefficientsText } from './coefficients_text';
import { coloursFor, statusColour, statusColumns } from './colour';
import { fixed, metricsText, printJson, table } from './output';
import { progressReporter } from './progress_bar';
import { progressText, runProgressText } from './progress_text';
import { selectionText } from './selection_text';
import { pushDataset } from './push';
import { scoreFromFile } from './score_command';
import { startStack } from './stack';
import { registerTrainCommand } from './train_command';
import { waitForUploadRun } from './wait';

const program = new Command('mloop')
  .description('Continuous training for tabular ML: push data, and the loop trains, evaluates, promotes and serves.')
  .showHelpAfterError('(run mloop <command> --help for usage)')
  .enablePositionalOptions();

program
  .command('up')
  .description('start the local stack: bucket watcher, event queue, job launcher, scoring and admin API on one port')
  .action(async () => {
    const config = loadConfig();
    // Listening before the stack starts: a Ctrl-C while its scoring workers start (they answer before
    // startStack returns) must stop them too, not kill this process and leave them orphaned.
    const stopRequested = new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    const stack = await startStack(config, createLogger(config.logLevel, { component: 'stack' }));
    process.stdout.write(
      `mloop is up on ${stack.url} (state in ${config.home})\n` +
        (stack.scoreUrl ? `  scoring also on ${stack.scoreUrl} (${config.serveWorkers} workers)\n` : '') +
        `  dashboard:       ${stack.url}/${config.apiKey ? ` (${config.dashboardReads === 'key' ? 'reads and actions' : 'actions and dead letters'} need the API key: type it at the top right)` : ''}\n` +
        `  push a dataset:  npx mloop push data.csv --model fraud\n` +
        `  follow it:       npx mloop runs   |   npx mloop models\n` +
        `  score:           curl -s ${stack.url}/score/fraud -H 'content-type: application/json' -d '{"instances":[...]}'\n` +
        `Ctrl-C stops it.\n`,
    );
    await stopRequested;
    process.stdout.write('stopping...\n');
    await stack.stop();
    // Everything is flushed and closed: a client's idle keep-alive socket must not hold the exit.
    process.exit(0);
  });

program
  .command('push <file>')
  .description('upload a CSV (or a .zip, .tar, .tar.gz of images, one folder per class; or a folder of part files, then its _SUCCESS or manifest.json last) to datasets/<model>/ in the data bucket; the loop takes it from there')
  .requiredOption('-m, --model <name>', 'model name (lowercase letters, digits, - and _)')
  .option('-t, --target <column>', 'target column (default isFraud, or mloop.json)')
  .option('-p, --positive <label>', 'the positive class of a string target, e.g. Yes or bad')
  .option('-w, --wait', 'follow the training run to its end')
  .option('--tag <key=value>', 'a tag on the run this upload starts (repeat for several)', (tag: string, all: string[]) => [...all, tag], [] as string[])
  .option('--name <name>', 'a folder of part files: its dataset name, datasets/<model>/<name>/ (default: the folder\'s name)')
  .option('--json', 'print JSON')
  .action(async (file: string, opts: { model: string; target?: string; positive?: string; wait?: boolean; tag: string[]; name?: string; json?: boolean }) => {
    await withContext(async (ctx) => {
      const pushed = await pushDataset(ctx, file, { ...opts, tags: tagsFromArgs(opts.tag) });
      if (!opts.json) {
        const parts = pushed.parts !== undefined ? `${pushed.parts} parts, ` : '';
        process.stdout.write(`pushed ${pushed.object.name} (${parts}${pushed.object.size} bytes) as dataset ${pushed.dataset_version}\n`);
        if (ctx.config.platform === 'local' && !runningStackPid(ctx.config.home)) {
          process.stdout.write('no local stack is running: start it with `npm start` and it will pick the file up\n');
        }
      }
      if (!opts.wait) {
        if (opts.json) printJson(pushed);
        return;
      }
      const bar = progressReporter(process.stderr);
      let shown = '';
      const run = await aboutFile(file, () => waitForUploadRun(ctx, opts.model, pushed.dataset_version, 30 * 60_000, (r) => {
        // the run document is polled: the bar moves only when the job has written new progress
        const key = JSON.stringify(r.progress);
        if (opts.json || !r.progress || key === shown) return;
        shown = key;
        bar.update(r.progress);
      }));
      bar.done();
      if (opts.json) printJson({ ...pushed, run });
      else {
        const c = coloursFor(process.stdout);
        const decision = run.promoted ? c.green(' (promoted)') : run.status === 'succeeded' ? ' (not promoted: mloop models show ' + run.model_version + ')' : '';
        // an image classifier has no AUC of one score: its accuracy says how it did
        const headline = run.metrics?.auc === undefined && run.metrics?.accuracy !== undefined ? `accuracy ${fixed(run.metrics.accuracy)}` : `auc ${fixed(run.metrics?.auc)}`;
        process.stdout.write(`run ${run.id} ${statusColour(c, run.status)}: ${run.model_version} ${headline}${decision}${run.error ? ` ${c.red(run.error)}` : ''}\n`);
      }
      if (run.status !== 'succeeded') process.exitCode = 1;
    });
  });

const runsCommand = program
  .command('runs [id]')
  .description('training runs, oldest first; with a run id, that run: its metrics, and per class recall and the confusion matrix for an image model')
  .option('-m, --model <name>', 'only this model')
  .option('-s, --status <status>', 'only runs in this status: queued, running, succeeded, failed, cancelled')
  .option('-a, --algorithm <name>', 'only runs of this model family')
  .option('--since <time>', 'only runs created at or after this ISO 8601 date or time')
  .option('--tag <key=value>', 'only runs with this tag (repeatable)', keyValue('--tag'))
  .addOption(new Option('--limit <n>', 'the newest n runs that match (one page)').argParser(positiveInt))
  .option('--page-token <token>', 'the page after the one that printed this token')
  .option('--json', 'print a JSON array (one object with a run id)')
  .action(async (id: string | undefined, opts: RunsOptions) => {
    await withContext(async (ctx) => {
      if (id !== undefined) {
        const run = runView(await getRun(ctx, id));
        const evaluation = run.status === 'succeeded' ? await classEvaluation(ctx, run.model, run.model_version) : null;
        const coefficients = run.status === 'succeeded' ? ((await getRunDetail(ctx, id)).trainer?.coefficients ?? null) : null;
        if (opts.json) return printJson({ ...run, evaluation, ...(coefficients ? { coefficients } : {}) });
        const c = coloursFor(process.stdout);
        process.stdout.write(
          `run ${run.id}: ${run.model} ${run.model_version} ${statusColour(c, run.status)}${run.attempt > 1 ? ` (attempt ${run.attempt})` : ''}, reason ${run.reason}\n` +
            `  dataset ${run.dataset_version}, backend ${run.backend ?? '-'}, ${run.duration_seconds === null ? 'not finished' : `${run.duration_seconds.toFixed(1)} s`}` +
            `${run.promoted === null ? '' : run.promoted ? ', promoted' : `, not promoted (mloop models show ${run.model}@${run.model_version})`}\n` +
            (run.progress && run.status !== 'succeeded' ? `  progress: ${progressText(run.progress)}\n` : '') +
            (run.status === 'succeeded' && run.training_end ? `  training: ${runProgressText(run)}\n` : '') +
            (Object.keys(run.tags).length ? `  tags: ${Object.entries(run.tags).map(([k, v]) => `${k}=${v}`).join(', ')}\n` : '') +
            (run.metrics ? `  metrics: ${metricsText(run.metrics)}\n` : '') +
            (run.selection ? selectionText(run.selection) : '') +
            (evaluation ? classReportText(evaluation) : '') +
            (coefficients ? coefficientsText(coefficients) : '') +
            (run.error ? `  error: ${c.red(run.error)}\n` : ''),
        );
        return;
      }
      const { runs, next_page_token: more } = await listRunPages(ctx, {
        model: opts.model,
        status: opts.status,
        algorithm: opts.algorithm,
        since: opts.since,
        tag: Object.entries(opts.tag ?? {}).map(([k, v]) => `${k}:${v}`),
        limit: opts.limit === undefined ? undefined : String(opts.limit),
        page_token: opts.pageToken,
      });
      if (more) process.stderr.write(`more runs: add --page-token ${more}\n`);
      if (opts.json) {
        printJson(runs);
        return;
      }
      process.stdout.write(
        table(
          ['run', 'model', 'version', 'dataset', 'status', 'progress', 'metric', 'seconds', 'cost', 'backend', 'promoted'],
          runs.map((r) => [
            r.id,
            r.model,
            r.model_version,
            r.dataset_version,
            r.status + (r.attempt > 1 ? ` (attempt ${r.attempt})` : ''),
            runProgressText(r),
            headlineText(r.headline) || null,
            r.duration_seconds,
            r.cost_usd === null ? null : `$${r.cost_usd.toFixed(4)}`,
            r.backend,
            r.promoted === null ? null : r.promoted ? 'yes' : 'no',
          ]),
          statusColumns(coloursFor(process.stdout)),
        ) + '\n',
      );
      for (const r of runs.filter((run) => run.error && run.status === 'failed')) process.stdout.write(`${r.id}: ${r.error}\n`);
    });
  });

registerRunsCompareCommand(runsCommand);
registerRunsCancel(runsCommand);
registerLogsCommand(program);
registerModelsCommand(program);
registerDlqCommand(program);
registerDriftCommands(program);
registerTrainCommand(program);
registerRetrainCommand(program);
registerSchedulesCommand(program);
registerServeCommand(program);
registerExplainCommand(program);

program
  .command('datasets')
  .description('dataset versions, with the reason when one was rejected')
  .option('--json', 'print a JSON array')
  .action(async (opts: { json?: boolean }) => {
    await withContext(async (ctx) => {
      const datasets = await listDatasets(ctx);
      if (opts.json) {
        printJson(datasets);
        return;
      }
      process.stdout.write(
        table(
          ['model', 'version', 'status', 'object', 'bytes', 'rows', 'rejected', 'reason'],
          // an archive's rows are its usable images
          datasets.map((d) => [d.model, d.version, d.status, d.object.name, d.object.size, d.rows ?? d.images, d.rejected_count, d.reason]),
          statusColumns(coloursFor(process.stdout)),
        ) + '\n',
      );
    });
  });

program
  .command('score <model> <source>')
  .description('score instances from a JSON file (or - for stdin): {"instances":[...]} or an array')
  .action(async (model: string, source: string) => {
    await withContext(async (ctx) => printJson(await scoreFromFile(ctx, model, source)));
  });

program
  .command('generate <file>')
  .description('write a synthetic PaySim-like mobile-money fraud CSV or Parquet file (the demo data) to try the loop with')
  .addOption(new Option('--rows <n>', 'rows').default(100_000).argParser(positiveInt))
  .addOption(new Option('--seed <n>', 'random seed: the same seed writes the same file').default(1).argParser(positiveInt))
  .addOption(new Option('--amount-scale <x>', 'multiply amounts, to simulate drift').argParser(Number))
  .addOption(new Option('--format <format>', 'csv, or parquet (typed columns); parquet when <file> ends in .parquet').choices(['csv', 'parquet']))
  .action(async (file: string, opts: { rows: number; seed: number; amountScale?: number; format?: string }) => {
    const parquet = (opts.format ?? (/\.parquet$/i.test(file) ? 'parquet' : 'csv')) === 'parquet';
    await (parquet ? writeFraudParquet : writeFraudCsv)(file, { rows: opts.rows, seed: opts.seed, shift: opts.amountScale ? { amountScale: opts.amountScale } : undefined });
    process.stdout.write(`wrote ${opts.rows} transactions to ${file}\n`);
  });

program
  .command('generate-images <target>')
  .description('write a small synthetic image dataset (one shape or texture per class) to a folder, or a zip when <target> ends in .zip')
  .addOption(new Option('--classes <n>', `classes, from 2 to ${SYNTHETIC_CLASSES.length}`).default(3).argParser(positiveInt))
  .addOption(new Option('--per-class <n>', 'images per class').default(30).argParser(positiveInt))
  .addOption(new Option('--size <n>', 'width and height in pixels').default(64).argParser(positiveInt))
  .addOption(new Option('--seed <n>', 'random seed: the same seed writes the same images').default(1).argParser(positiveInt))
  .action(async (target: string, opts: { classes: number; perClass: number; size: number; seed: number }) => {
    const written = await writeSyntheticImages(target, opts);
    process.stdout.write(`wrote ${written.images} images of ${written.classes.length} classes (${written.classes.join(', ')}) to ${target}\n`);
  });

program
  .command('demo')
  .description('run the whole loop with synthetic fraud data on the running stack (else one of its own on MLOOP_HOME), then exit')
  .addOption(new Option('--rows <n>', 'rows in the first dataset').default(100_000).argParser(positiveInt))
  .addOption(new Option('--second-rows <n>', 'rows in the second dataset').default(100_000).argParser(positiveInt))
  .option('--keep', 'keep the generated CSV files')
  .action(async (opts: { rows: number; secondRows: number; keep?: boolean }) => {
    const summary = await runDemo({
      rows: opts.rows,
      secondRows: opts.secondRows,
      keep: Boolean(opts.keep),
      say: (line) => process.stdout.write(line + '\n'),
    });
    printJson(summary);
  });

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new MloopError('invalid_argument', `${value} is not a positive whole number`);
  return n;
}

program.parseAsync(process.argv).catch((err) => {
  const report = reportError(err, { json: process.argv.includes('--json'), debug: debugLogging() });
  process.stderr.write(report.text);
  process.exitCode = report.exitCode;
});

function debugLogging(): boolean {
  try {
    const level = loadConfig().logLevel;
    return level === 'debug' || level === 'trace';
  } catch {
    // the configuration itself may be what failed
    return false;
  }
}
