import fs from 'node:fs';
import type { Command } from 'commander';
import { openTableFile } from '../shared/data/table';
import { compareFiles } from '../shared/monitoring/compare_files';
import { renderDriftHtml } from '../shared/monitoring/drift_report_html';
import { DEFAULT_MONITORING } from '../shared/monitoring/settings';
import type { Context } from '../shared/pipeline/context';
import { latestReports, summarize } from '../shared/pipeline/monitoring/drift_report_store';
import { runMonitoringTick, type MonitorOutcome } from '../shared/pipeline/usecases/on_monitoring_tick';
import { runningStackPid } from '../shared/platform/local/instance_lock';
import { withContext } from './cli_context';
import { driftTable, reportText } from './drift_output';
import { checkInputFile } from './input_file';
import { printJson } from './output';
import { callStack } from './stack_client';

/** `mloop monitor` (a monitoring pass now), `mloop drift` (the latest report), `mloop drift compare` (two files). */
export function registerDriftCommands(program: Command): void {
  program
    .command('monitor')
    .description('run a monitoring pass now: drift of the logged predictions against the training reference, report, retraining if drifted')
    .option('-m, --model <name>', 'only this model')
    .option('--json', 'print JSON')
    .action(async (opts: { model?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const outcomes = await monitorNow(ctx, opts.model);
        if (opts.json) return printJson(outcomes);
        if (outcomes.length === 0) process.stdout.write('no model is in production yet\n');
        for (const o of outcomes) process.stdout.write(o.outcome === 'reported' ? reportText(o.report) : `${o.model}: skipped: ${o.reason}\n`);
      }),
    );

  const drift = program
    .command('drift')
    .description('the latest drift report of each model (or one); `drift compare` compares two CSV or Parquet files')
    .option('-m, --model <name>', 'only this model')
    .option('--json', 'print JSON')
    .enablePositionalOptions()
    .action(async (opts: { model?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const reports = await latestReports(ctx, opts.model);
        if (opts.json) return printJson(opts.model ? (reports[0] ?? null) : reports);
        if (reports.length === 0) process.stdout.write('no drift report yet: `mloop monitor` runs a monitoring pass\n');
        for (const report of reports) process.stdout.write(reportText(report));
      }),
    );

  drift
    .command('compare <reference> <current>')
    .description('run the drift tests on two CSV or Parquet files, as the monitor does (no stack needed)')
    .option('--json', 'print {"share","dataset_drift","features":{...}}')
    .option('--html <file>', 'also write the HTML report')
    .action(async (referenceFile: string, currentFile: string, opts: { json?: boolean; html?: string }) => {
      const source = (name: string) => {
        checkInputFile(name);
        return { name, open: () => openTableFile(name) };
      };
      const { result, skipped, referenceRows, leftOut } = await compareFiles(source(referenceFile), source(currentFile), DEFAULT_MONITORING);
      for (const { file, count, first } of leftOut) {
        const more = count > 1 ? ` (and ${count - 1} more line${count > 2 ? 's' : ''})` : '';
        process.stderr.write(`mloop: ${file}:${first.line}: ${first.reason}: left out of the comparison${more}; fix the line to count it\n`);
      }
      if (opts.html) {
        const title = `Drift: ${currentFile} against ${referenceFile}`;
        fs.writeFileSync(opts.html, renderDriftHtml({ title, subtitle: `${referenceRows} reference rows, ${result.rows} current rows` }, result));
      }
      if (opts.json) {
        const features = Object.fromEntries(
          result.features.map((f) => [f.name, { test: f.test, statistic: f.statistic, p_value: f.p_value, threshold: f.threshold, drifted: f.drifted, psi: f.psi }]),
        );
        return printJson({ share: result.share, dataset_drift: result.dataset_drift, features, skipped });
      }
      const verdict = result.dataset_drift ? 'DATASET DRIFT' : 'no dataset drift';
      process.stdout.write(
        `${verdict}: ${result.drifted.length} of ${result.features.length} columns drifted (share ${result.share.toFixed(2)}, threshold ${result.drift_share})\n` +
          driftTable(result.features.map(summarize)) +
          '\n' +
          Object.entries(skipped).map(([name, why]) => `skipped ${name}: ${why}\n`).join('') +
          (opts.html ? `report: ${opts.html}\n` : ''),
      );
    });
}

/** Through the running stack when there is one (it writes its buffered scores first), else in process. */
async function monitorNow(ctx: Context, model: string | undefined): Promise<MonitorOutcome[]> {
  if (ctx.config.platform === 'local' && runningStackPid(ctx.config.home)) {
    return callStack<MonitorOutcome[]>(ctx, `/api/monitor${model ? `?model=${encodeURIComponent(model)}` : ''}`, { method: 'POST' });
  }
  return (await runMonitoringTick(ctx, { model, requested_at: ctx.platform.clock.now().toISOString() })).models;
}
