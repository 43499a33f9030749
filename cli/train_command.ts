import { Option, type Command } from 'commander';
import { loadConfig } from '../shared/core/config';
import { MloopError } from '../shared/core/errors';
import { DEFAULT_FAMILY, FAMILY_NAMES } from '../shared/ml/models/registry';
import { fixed, metricText, printJson, table } from './output';
import { selectionText } from './selection_text';
import type { TrainArchiveResult } from './train_archive';
import type { TrainFileOptions } from './train_file';

/** `mloop train <file.csv | archive>`: train by hand, as the seeds' train-local.sh did, with the job's own code. */
export function registerTrainCommand(program: Command): void {
  program
    .command('train <file>')
    .description('train on a CSV or an archive of images (zip, tar, tar.gz of <class>/<image>) in the foreground, as the train job would, and write the model version to a folder')
    .option('-t, --target <column>', 'target column (default isFraud)')
    .option('-p, --positive <label>', 'the positive class of a binary string target')
    .addOption(new Option('-a, --algorithm <name>', `model family (default ${DEFAULT_FAMILY})`).choices(FAMILY_NAMES))
    .addOption(new Option('--sample <n>', 'train on n rows, drawn stratified on the target (default: all)').argParser(positiveInt))
    .option('--out <dir>', 'where to write the artifacts (default artifacts/<version>/)')
    .option('--params <json>', 'parameters of the algorithm, e.g. \'{"learning_rate":0.05}\'')
    .option('--search <json>', 'a sweep, e.g. \'{"learning_rate":[0.05,0.1],"num_leaves":[15,31]}\'; the best on validation is kept')
    .option('--unsupervised', 'also train an isolation forest, served beside the model')
    .addOption(new Option('--target-recall <r>', 'label threshold: the most precise one reaching this recall (default: best F1)').argParser(Number))
    .addOption(new Option('--seed <n>', 'seed of the split and the trainer').argParser(positiveInt))
    .addOption(new Option('--image-size <n>', 'an archive of images: the side images are resized to (default 64)').argParser(positiveInt))
    .addOption(new Option('--channels <n>', 'an archive of images: 3 (RGB, the default) or 1 (grayscale)').argParser(channelCount))
    .addOption(new Option('--min-images-per-class <n>', 'an archive of images: a class with fewer usable images is dropped (default 5)').argParser(positiveInt))
    .option('--json', 'print the result as JSON (the last line of stdout)')
    .action(async (file: string, opts: TrainFileOptions & { json?: boolean }) => {
      // loaded here: TensorFlow.js takes a quarter of a second to load, which no other command should pay
      const { trainFile } = await import('./train_file');
      const result = await trainFile(loadConfig(), file, opts, process.stderr);
      if (opts.json) return printJson(result);
      if ('per_class' in result) return void process.stdout.write(archiveSummary(result));
      const rows = Object.entries(result.metrics).map(([name, value]) => [name, metricText(name, value)]);
      process.stdout.write(
        `${result.algorithm} on ${result.rows} rows (${result.task}) in ${result.seconds} s${result.trials > 1 ? `, best of ${result.trials} trials` : ''}\n` +
          (result.selection ? selectionText(result.selection) : '') +
          (result.calibration ? `calibration ${result.calibration.reason}; test ECE ${fixed(result.calibration.ece_before)} → ${fixed(result.calibration.ece_after)}\n` : '') +
          `${table(['metric', 'test'], rows)}\nartifacts: ${result.artifacts}\n`,
      );
    });
}

/** What a person reads of an image model: the metrics, each class's precision and recall, where it errs. */
function archiveSummary(result: TrainArchiveResult): string {
  const metrics = Object.entries(result.metrics).map(([name, value]) => [name, metricText(name, value)]);
  const perClass = result.per_class.map((c) => [c.class, fixed(c.precision), fixed(c.recall), fixed(c.f1), c.support]);
  const { classes, matrix } = result.confusion;
  const confusion = matrix.map((row, i) => [classes[i], ...row]);
  return (
    `${result.algorithm} on ${result.rows} images, ${classes.length} classes, in ${result.seconds} s (backend ${result.backend})\n` +
    `${table(['metric', 'test'], metrics)}\n\n${table(['class', 'precision', 'recall', 'f1', 'support'], perClass)}\n\n` +
    `${table(['actual \\ predicted', ...classes], confusion)}\nartifacts: ${result.artifacts}\n`
  );
}

function channelCount(value: string): number {
  if (value !== '1' && value !== '3') throw new MloopError('invalid_argument', `--channels is 1 (grayscale) or 3 (RGB), not ${value}`);
  return Number(value);
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new MloopError('invalid_argument', `${value} is not a positive whole number`);
  return n;
}
