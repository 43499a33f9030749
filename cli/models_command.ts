import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { MloopError } from '../shared/core/errors';
import type { Context } from '../shared/pipeline/context';
import { artifactsPrefix, type DecisionDoc } from '../shared/pipeline/store/documents';
import { storeOf } from '../shared/pipeline/store';
import { headlineText } from '../shared/ml/headline_metrics';
import { classEvaluation } from '../shared/pipeline/read_models/image_evaluation';
import { listModels } from '../shared/pipeline/read_models/listings';
import { importVersion } from '../shared/pipeline/usecases/import_version';
import { readBundle } from '../shared/pipeline/artifacts/version_bundle';
import { versionZip } from '../shared/pipeline/artifacts/version_zip';
import { cardMarkdown } from '../shared/pipeline/artifacts/model_card';
import { modelCardOf } from '../shared/pipeline/read_models/model_card';
import { abortCanary, completeCanary, deleteVersion, promoteVersion, rejectVersion, rollback, setAlias, type Actor } from '../shared/pipeline/usecases/registry_transitions';
import { classReportText } from './class_report_text';
import { withContext } from './cli_context';
import { coloursFor, statusColumns } from './colour';
import { fixed, metricText, metricsText, printJson, table } from './output';

/** `mloop models ...`: the registry, by hand. Every change records who made it and why. */
export function registerModelsCommand(program: Command): void {
  const models = program
    .command('models')
    .description('the model registry: versions, stages, decisions; subcommands change it')
    .option('--json', 'print a JSON array')
    // `models show v1 --json` must give --json to `show`, not to `models`.
    .enablePositionalOptions()
    .action(async (opts: { json?: boolean }) => withContext((ctx) => printList(ctx, Boolean(opts.json))));

  models
    .command('show <version>')
    .description('one version: stage, metrics (per class and the confusion matrix for images), decision, history (<version> is v2, or fraud@v2 with several models)')
    .option('-m, --model <name>', 'the model, when there are several')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { model?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const { model, version } = await resolveRef(ctx, ref, opts.model);
        const store = storeOf(ctx);
        const doc = await store.versions.get(model, version);
        const decision = doc ? await store.decisions.get(doc.decision_id) : null;
        const modelDoc = await store.models.get(model);
        const aliases = Object.entries(modelDoc?.aliases ?? {}).filter(([, v]) => v === version).map(([a]) => a);
        const evaluation = await classEvaluation(ctx, model, version);
        const view = { ...doc, aliases, decision, evaluation };
        if (opts.json) return printJson(view);
        process.stdout.write(
          `${model} ${version}${doc!.label ? ` [${doc!.label}]` : ''}: ${doc!.stage}${aliases.length ? ` (${aliases.join(', ')})` : ''}\n` +
            `  run ${doc!.run_id}, dataset ${doc!.dataset_version}, created ${doc!.created_at}\n` +
            (doc!.imported ? `  imported by ${doc!.imported.by}, trained elsewhere as ${doc!.imported.from.model} ${doc!.imported.from.version}\n` : '') +
            `  metrics: ${metricsText(doc!.metrics)}\n` +
            (evaluation ? classReportText(evaluation) : '') +
            (decision ? decisionText(decision) : '') +
            `  history:\n` +
            (doc!.history ?? []).map((h) => `    ${h.at}  ${h.from ?? 'new'} → ${h.to}  by ${h.by}: ${h.reason}`).join('\n') +
            '\n',
        );
      }),
    );

  models
    .command('card <model> [version]')
    .description("a version's model card (production's without a version): task, data lineage, intended use, metrics overall and per slice with intervals, calibration, top features, the promotion decision, known caveats")
    .option('--json', 'print its sections as JSON')
    .action(async (model: string, version: string | undefined, opts: { json?: boolean }) =>
      withContext(async (ctx) => {
        const card = await modelCardOf(ctx, model, version);
        if (opts.json) printJson(card);
        else process.stdout.write(cardMarkdown(card));
      }),
    );

  const change = (name: string, description: string, run: (ctx: Context, model: string, version: string, actor: Actor) => Promise<unknown>) =>
    models
      .command(`${name} <version>`)
      .description(description)
      .option('-m, --model <name>', 'the model, when there are several')
      .option('-r, --reason <text>', 'why (kept in the history)')
      .option('--json', 'print JSON')
      .action(async (ref: string, opts: { model?: string; reason?: string; json?: boolean }) =>
        withContext(async (ctx) => {
          const { model, version } = await resolveRef(ctx, ref, opts.model);
          const result = await run(ctx, model, version, actor(opts.reason ?? `${name} by hand`));
          if (opts.json) printJson(result);
          else process.stdout.write(`${model} ${version}: ${name} done\n`);
        }),
      );

  change('promote', 'make a version the production one (the scoring function swaps to it)', (ctx, m, v, a) => promoteVersion(ctx, m, v, a));
  change('approve', 'promote a candidate that waits for approval', (ctx, m, v, a) => promoteVersion(ctx, m, v, a, 'candidate'));
  change('reject', 'reject a candidate', (ctx, m, v, a) => rejectVersion(ctx, m, v, a));
  change('delete', 'delete an archived or rejected version and its artifacts', (ctx, m, v) => deleteVersion(ctx, m, v));

  models
    .command('rollback')
    .description('put the previous production version back in production')
    .option('-m, --model <name>', 'the model, when there are several')
    .option('-r, --reason <text>', 'why (kept in the history)')
    .option('--json', 'print JSON')
    .action(async (opts: { model?: string; reason?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        const model = opts.model ?? (await onlyModel(ctx));
        const result = await rollback(ctx, model, actor(opts.reason ?? 'rollback by hand'));
        if (opts.json) printJson(result);
        else process.stdout.write(`${model}: ${result.version} is back in production (was ${result.previous_production})\n`);
      }),
    );

  const canary = models.command('canary').description('a promotion in its canary (MLOOP_CANARY_PERCENT): give the new version all the traffic, or none');
  const canaryMove = (name: 'complete' | 'abort', description: string, run: typeof completeCanary) =>
    canary
      .command(`${name} [model]`)
      .description(description)
      .option('-r, --reason <text>', 'why (kept in the history)')
      .option('--json', 'print JSON')
      .action(async (given: string | undefined, opts: { reason?: string; json?: boolean }) =>
        withContext(async (ctx) => {
          const model = given ?? (await onlyModel(ctx));
          const result = await run(ctx, model, actor(opts.reason ?? `canary ${name} by hand`));
          if (opts.json) printJson(result);
          else if (name === 'complete') process.stdout.write(`${model}: ${result.version} serves all traffic\n`);
          else process.stdout.write(`${model}: canary aborted, ${result.version} is back in production with all traffic\n`);
        }),
      );
  canaryMove('complete', 'all traffic to the canary\'s version', completeCanary);
  canaryMove('abort', 'all traffic back to the version before the canary, which is production again', abortCanary);

  models
    .command('alias <alias> <version>')
    .description('point a free alias (challenger, shadow, ...) at a version')
    .option('-m, --model <name>', 'the model, when there are several')
    .action(async (alias: string, ref: string, opts: { model?: string }) =>
      withContext(async (ctx) => {
        const { model, version } = await resolveRef(ctx, ref, opts.model);
        await setAlias(ctx, model, alias, version);
        process.stdout.write(`${model}: ${alias} → ${version}\n`);
      }),
    );

  models
    .command('import <source>')
    .description('register a version trained elsewhere: the folder `mloop train --out` wrote, or a zip of it; checked (manifest, ONNX, holdout metric), then judged against production as a trained candidate')
    .requiredOption('-m, --model <name>', 'the model it becomes a version of')
    .option('--promote', 'promote it whatever the comparison with production says (recorded in the decision)')
    .option('--candidate', 'never promote it automatically: a winner waits for `mloop models approve`')
    .option('-r, --reason <text>', 'why (kept on the run and the decision)')
    .option('--label <label>', 'a human label beside vN (1.0.0), unique per model; accepted wherever a version is named')
    .option('--holdout <file.csv>', 'a CSV with the target column to check and judge it on, instead of the holdout the folder carries')
    .option('--json', 'print JSON')
    .action(async (source: string, opts: { model: string; promote?: boolean; candidate?: boolean; reason?: string; label?: string; holdout?: string; json?: boolean }) =>
      withContext(async (ctx) => {
        if (opts.promote && opts.candidate) throw new MloopError('invalid_argument', '--promote and --candidate contradict each other: pick one');
        const bundle = await readBundle(source);
        const holdoutCsv = opts.holdout ? fs.readFileSync(opts.holdout) : undefined;
        const choice = opts.promote ? 'promote' : opts.candidate ? 'candidate' : undefined;
        const result = await importVersion(ctx, bundle, { model: opts.model, by: actor('').by, reason: opts.reason, label: opts.label, choice, holdoutCsv });
        if (opts.json) return printJson(result);
        const { check } = result.imported;
        process.stdout.write(
          `${result.model} ${result.version}${result.label ? ` (${result.label})` : ''} imported: ${check.metric} ${fixed(check.measured)} on ${check.rows} ${check.holdout} holdout rows` +
            `${check.recorded !== null ? ` (manifest ${fixed(check.recorded)})` : ''}\n` +
            `  ${result.promoted ? 'promoted' : result.decision.awaiting_approval ? 'awaits approval' : result.stage}: ${result.decision.reasons.join('; ')}\n`,
        );
      }),
    );

  models
    .command('download <version>')
    .description('a version folder as one zip (what `mloop models import` reads); <version> is fraud@v2, fraud@1.0.0 or v2')
    .option('-m, --model <name>', 'the model, when there are several')
    .option('-o, --out <file>', 'the zip to write (default <model>-<version>.zip)')
    .action(async (ref: string, opts: { model?: string; out?: string }) =>
      withContext(async (ctx) => {
        const { model, version } = await resolveRef(ctx, ref, opts.model);
        const out = opts.out ?? `${model}-${version}.zip`;
        const { stream, files } = await versionZip(ctx, model, version);
        await pipeline(stream, fs.createWriteStream(out));
        process.stdout.write(`wrote ${files.length} files of ${model} ${version} to ${out}\n`);
      }),
    );

  models
    .command('pull <version>')
    .description('download a version\'s artifacts (model.onnx, manifest.json, report.html, ...)')
    .option('-m, --model <name>', 'the model, when there are several')
    .option('-o, --out <dir>', 'where to write them (default artifacts/<model>/<version>)')
    .action(async (ref: string, opts: { model?: string; out?: string }) =>
      withContext(async (ctx) => {
        const { model, version } = await resolveRef(ctx, ref, opts.model);
        const out = opts.out ?? path.join('artifacts', model, version);
        const prefix = artifactsPrefix(model, version);
        const objects = await ctx.platform.objects.list(ctx.config.artifactsBucket, prefix);
        if (objects.length === 0) throw new MloopError('not_found', `no artifacts under ${prefix}`);
        fs.mkdirSync(out, { recursive: true });
        for (const object of objects) {
          const target = path.join(out, object.name.slice(prefix.length));
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, await ctx.platform.objects.get(object.bucket, object.name));
        }
        process.stdout.write(`wrote ${objects.length} files to ${out}\n`);
      }),
    );
}

async function printList(ctx: Context, json: boolean): Promise<void> {
  const models = await listModels(ctx);
  if (json) return printJson(models);
  process.stdout.write(
    table(
      ['model', 'version', 'stage', 'metric', 'holdout', 'decision'],
      models.map((m) => [m.model, m.version, m.stage, headlineText(m.headline) || null, holdoutText(m.metrics), m.decision?.reasons.join('; ')]),
      statusColumns(coloursFor(process.stdout)),
    ) + '\n',
  );
}

/** The promotion metric as the decision measured it on the holdout (`holdout_<metric>`): `auc 0.9100`. */
function holdoutText(metrics: Record<string, number | null>): string | null {
  const measured = Object.entries(metrics).filter(([name]) => name.startsWith('holdout_'));
  return measured.length ? measured.map(([name, value]) => `${name.slice('holdout_'.length)} ${metricText(name, value)}`).join(', ') : null;
}

function decisionText(decision: DecisionDoc): string {
  const verdict = decision.awaiting_approval ? 'awaits approval' : decision.promote ? 'promote' : 'keep production';
  const lines = [`  decision: ${verdict}: ${decision.reasons.join('; ')}`];
  for (const check of decision.checks ?? []) lines.push(`    ${check.passed ? 'pass' : 'FAIL'}  ${check.name}: ${check.detail}`);
  if (decision.serving) {
    const { p50_ms, p99_ms, model_bytes } = decision.serving;
    lines.push(`  serving: one row p50 ${p50_ms.toFixed(3)} ms, p99 ${p99_ms.toFixed(3)} ms; model ${(model_bytes / 1e6).toFixed(2)} MB`);
  }
  if (decision.bootstrap) {
    const { difference, ci95, resamples } = decision.bootstrap;
    lines.push(`  ${decision.bootstrap.metric === 'auc' ? 'AUC' : decision.bootstrap.metric} difference vs production: ${fixed(difference)} (95 % CI ${fixed(ci95[0])} … ${fixed(ci95[1])}, paired bootstrap, ${resamples} resamples)`);
  }
  return lines.join('\n') + '\n';
}

function actor(reason: string): Actor {
  return { by: `cli:${os.userInfo().username}`, reason };
}

/**
 * `fraud@v2`, or `v2` with --model, or `v2` when the registry holds a single model; one that does not
 * exist is refused here with the names that do, so that a typo is fixed without another command.
 */
async function resolveRef(ctx: Context, ref: string, model?: string): Promise<{ model: string; version: string }> {
  const at = ref.indexOf('@');
  const resolved = at > 0 ? { model: ref.slice(0, at), version: ref.slice(at + 1) } : { model: model ?? (await onlyModel(ctx)), version: ref };
  const store = storeOf(ctx);
  const modelDoc = await store.models.get(resolved.model);
  // fraud@1.0.0: a label names its version
  if (modelDoc?.labels?.[resolved.version]) resolved.version = modelDoc.labels[resolved.version];
  if (!modelDoc) {
    const names = (await store.models.list()).map((m) => m.name);
    throw new MloopError('not_found', `there is no model "${resolved.model}" (${names.length ? `models: ${names.join(', ')}` : 'the registry is empty: push a dataset first'})`);
  }
  if (!(await store.versions.get(resolved.model, resolved.version))) {
    const versions = (await store.versions.list({ model: resolved.model })).map((v) => v.version);
    throw new MloopError('not_found', `${resolved.model} has no version ${resolved.version} (versions: ${versions.join(', ') || 'none yet'}); mloop models lists them`);
  }
  return resolved;
}

async function onlyModel(ctx: Context): Promise<string> {
  const models = await storeOf(ctx).models.list();
  if (models.length === 1) return models[0].name;
  if (models.length === 0) throw new MloopError('not_found', 'the registry is empty: push a dataset first');
  throw new MloopError('invalid_argument', `several models exist (${models.map((m) => m.name).join(', ')}): pass --model or <model>@<version>`);
}
