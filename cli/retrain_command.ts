import os from 'node:os';
import { Option, type Command } from 'commander';
import { invalid } from '../shared/core/errors';
import { family } from '../shared/ml/models/registry';
import { parseTags } from '../shared/core/tags';
import { requestManualRetrain } from '../shared/pipeline/usecases/manual_retrain';
import { runningStackPid } from '../shared/platform/local/instance_lock';
import { withContext } from './cli_context';
import { keyValue, paramValue } from './key_values';
import { printJson } from './output';

interface RetrainOptions {
  reason?: string;
  algorithm?: string;
  param?: Record<string, string>;
  search?: string;
  sample?: number;
  datasetVersion?: string;
  tag?: Record<string, string>;
  json?: boolean;
}

/** `mloop retrain <model>`: a training request on the newest dataset (or the one named), with the overrides POST /api/runs takes. */
export function registerRetrainCommand(program: Command): void {
  program
    .command('retrain <model>')
    .description('train <model> again on its newest uploaded dataset, even when nothing changed, optionally with another algorithm or parameters')
    .option('-r, --reason <text>', 'why (kept on the run)')
    .option('-a, --algorithm <name>', 'the model family for this run only')
    .option('--param <key=value>', 'a training parameter for this run only (repeatable; values are JSON when they parse)', keyValue('--param'))
    .option('--search <json>', 'a parameter search for this run only, as in mloop.json')
    .addOption(new Option('--sample <n>', 'train on n rows').argParser((v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw invalid(`--sample ${v}: a positive whole number`);
      return n;
    }))
    .option('--dataset-version <version>', 'train on this dataset version instead of the newest upload')
    .option('--tag <key=value>', 'a label on the run (repeatable), filterable with mloop runs --tag', keyValue('--tag'))
    .option('--json', 'print JSON')
    .action(async (model: string, opts: RetrainOptions) =>
      withContext(async (ctx) => {
        if (opts.algorithm) family(opts.algorithm);
        // one tag at a time, so that the refusal names the flag and the tag as the user typed them
        for (const [key, value] of Object.entries(opts.tag ?? {})) {
          try {
            parseTags({ [key]: value });
          } catch (err) {
            throw invalid(`--tag ${key}=${value}: ${(err as Error).message}`);
          }
        }
        const params = opts.param && Object.fromEntries(Object.entries(opts.param).map(([k, v]) => [k, paramValue(v)]));
        const requested = await requestManualRetrain(ctx, model, `cli:${os.userInfo().username}`, {
          reason: opts.reason,
          dataset_version: opts.datasetVersion,
          training: { algorithm: opts.algorithm, params, search: opts.search === undefined ? undefined : parseSearch(opts.search), sample: opts.sample },
          tags: opts.tag,
        });
        if (opts.json) return printJson(requested);
        process.stdout.write(`retraining of ${model} on dataset ${requested.dataset_version} requested (${requested.request_id}): run ${requested.run_id}\n`);
        if (ctx.config.platform === 'local' && !runningStackPid(ctx.config.home)) {
          process.stdout.write('no local stack is running: start it with `npm start` and it will pick the request up\n');
        }
      }),
    );
}

function parseSearch(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`--search is not JSON: ${text}`);
  }
}
