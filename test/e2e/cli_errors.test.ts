import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { writeFraudCsv } from '../../shared/data/synthetic';
import { CLI, cli, freePort, stackEnv, startUp, stopGracefully, tempHome, until } from './helpers';

/**
 * The CLI's failures as a person meets them: one line on stderr that names the file (and line) and says
 * what to do, a non-zero exit code, no stack trace unless debug logging asks for one, and a JSON error
 * object under --json.
 */
jest.setTimeout(300_000);

const work = tempHome('mloop-cli-errors-');
const home = path.join(work, 'home');
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home };

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function run(args: string[], extra: Record<string, string> = {}, prefix: string[] = []) {
  const [command, ...rest] = [...prefix, process.execPath, CLI, ...args];
  const result = spawnSync(command, rest, { env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000, cwd: work });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function file(name: string, text: string | Buffer): string {
  const at = path.join(work, name);
  fs.writeFileSync(at, text);
  return at;
}

/** One line, no stack trace, this exit code. */
function failsWith(result: ReturnType<typeof run>, status: number): string {
  expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status });
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  return result.stderr;
}

const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const good = () => file('good.csv', 'amount,kind,score\n1,a,3\n2,b,4\n3,a,5\n');

describe('drift compare', () => {
  it('names a missing file, with the folder a relative path was looked up in', () => {
    expect(failsWith(run(['drift', 'compare', 'nope.csv', good()]), 1)).toBe(`mloop: nope.csv: no such file in ${work}; check the path [not_found]\n`);
  });

  it('names the file whose header or syntax is broken, and its line', () => {
    const semicolons = file('semi.csv', 'amount;kind;score\n1;a;3\n');
    expect(failsWith(run(['drift', 'compare', semicolons, good()]), 2)).toMatch(new RegExp(`^mloop: ${literally(semicolons)}:1: the header looks ";"-separated; mloop reads comma-separated CSV`));
    const quote = file('quote.csv', 'amount,kind,score\n1,a,3\n2,"b,4\n3,a,5\n');
    const broken = failsWith(run(['drift', 'compare', good(), quote]), 2);
    expect(broken).toMatch(new RegExp(`^mloop: ${literally(quote)}:3: cannot parse the CSV at line 3`));
    expect(broken).toMatch(/must be in double quotes/);
    const binary = file('binary.csv', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0xff, 0xfe, 0x0a, 0x00]));
    expect(failsWith(run(['drift', 'compare', binary, good()]), 2)).toMatch(new RegExp(`^mloop: ${literally(binary)}:1: the header \\(line 1\\) is not valid UTF-8; save the file as UTF-8`));
  });

  it('refuses two files whose columns differ, naming the file and the missing column', () => {
    const other = file('other.csv', 'amount,kind,total\n1,a,3\n');
    expect(failsWith(run(['drift', 'compare', good(), other]), 2)).toBe(
      `mloop: ${other}:1: the reference's column "score" is not in this header (amount, kind, total); compare two files with the same columns [invalid_argument]\n`,
    );
  });

  it('leaves ragged lines out with a warning that names the file and the first line, and compares the rest', () => {
    const ragged = file('ragged.csv', 'amount,kind,score\n1,a,3\n2,b\n3,a,5\n4,b\n');
    const result = run(['drift', 'compare', good(), ragged, '--json']);
    expect(result.status).toBe(0);
    expect(result.stderr).toBe(`mloop: ${ragged}:3: has 2 fields but the header has 3: left out of the comparison (and 1 more line); fix the line to count it\n`);
    expect(JSON.parse(result.stdout)).toHaveProperty('dataset_drift');
  });

  it('prints a JSON error object under --json, and the stack trace with debug logging', () => {
    const json = run(['drift', 'compare', 'nope.csv', good(), '--json']);
    expect(json.status).toBe(1);
    expect(json.stdout).toBe('');
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: 'not_found', message: `nope.csv: no such file in ${work}; check the path` } });
    const debug = run(['drift', 'compare', 'nope.csv', good()], { MLOOP_LOG_LEVEL: 'debug' });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/^mloop: nope\.csv: no such file/);
    expect(debug.stderr).toMatch(/^\s+at checkInputFile /m);
  });
});

describe('push, train and score', () => {
  it('push names a missing file, a folder without parts and a file that is neither CSV nor Parquet', () => {
    expect(failsWith(run(['push', 'nope.csv', '--model', 'fraud']), 1)).toMatch(/^mloop: nope\.csv: no such file in .*; check the path/);
    fs.mkdirSync(path.join(work, 'folder'), { recursive: true });
    expect(failsWith(run(['push', 'folder', '--model', 'fraud']), 2)).toBe('mloop: folder is a folder with no part files (.csv, .parquet) in it: name a file, or push a folder of parts [invalid_argument]\n');
    const json = file('rows.json', '[]');
    expect(failsWith(run(['push', json, '--model', 'fraud']), 2)).toMatch(/only \.csv and \.parquet files are datasets; export it as CSV or Parquet/);
  });

  it('push and drift compare name a file they may not read, and how to fix that', () => {
    // Permissions do not stop root, so as root the CLI runs without the two capabilities that let root
    // read any file: still root, it reads the clone wherever it lives (a folder only root may enter
    // included), while a file whose mode forbids reading is refused to it as to anyone.
    const asRoot = process.getuid?.() === 0;
    const locked = path.join(work, 'locked');
    fs.mkdirSync(locked, { recursive: true });
    fs.chmodSync(work, 0o755);
    const unreadable = path.join(locked, 'secret.csv');
    fs.writeFileSync(unreadable, 'amount,isFraud\n1,0\n');
    fs.chmodSync(unreadable, 0o000);
    const open = path.join(locked, 'state');
    fs.mkdirSync(open, { mode: 0o777 });
    fs.chmodSync(open, 0o777);
    const prefix = asRoot ? ['setpriv', '--inh-caps=-all', '--bounding-set=-dac_override,-dac_read_search'] : [];
    const fix = `${unreadable}: permission denied; make it readable (chmod u+r ${unreadable}) or run as its owner [permission_denied]\n`;
    expect(failsWith(run(['push', unreadable, '--model', 'fraud'], { MLOOP_HOME: open }, prefix), 1)).toBe(`mloop: ${fix}`);
    expect(failsWith(run(['drift', 'compare', unreadable, good()], { MLOOP_HOME: open }, prefix), 1)).toBe(`mloop: ${fix}`);
  });

  it('train names the file and its columns when --target is not one of them', () => {
    const data = good();
    expect(failsWith(run(['train', data, '--target', 'label']), 2)).toBe(
      `mloop: ${data}: target column "label" is not in the file (columns: amount, kind, score). Set "target" in mloop.json or pass --target. [invalid_argument]\n`,
    );
  });

  it('score names the line and column where its JSON goes wrong, and the shape it reads', () => {
    const body = file('body.json', '{"instances": [\n  {"amount": 1},\n  {"amount": }\n]}\n');
    expect(failsWith(run(['score', 'fraud', body]), 2)).toBe(
      `mloop: ${body}:3:14: not valid JSON: unexpected "}"; score reads {"instances": [{...}, ...]} or an array of objects [invalid_argument]\n`,
    );
    const cut = file('cut.json', '{"instances": [{"amount": 1}');
    expect(failsWith(run(['score', 'fraud', cut]), 2)).toMatch(new RegExp(`^mloop: ${literally(cut)}:1:29: not valid JSON: it ends too early \\(a bracket or quote left open\\?\\)`));
    expect(failsWith(run(['score', 'fraud', 'nope.json']), 1)).toMatch(/^mloop: nope\.json: no such file in .*; check the path \(or use - to read stdin\)/);
  });

  it('models promote names the models there are when the one asked for is not', () => {
    expect(failsWith(run(['models', 'promote', 'fraud@v9']), 1)).toBe('mloop: there is no model "fraud" (the registry is empty: push a dataset first) [not_found]\n');
  });
});

describe('against a running stack', () => {
  let stack: ChildProcess;
  let stackEnvironment: NodeJS.ProcessEnv;
  let url: string;

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    stackEnvironment = stackEnv(path.join(work, 'stack'), port, { MLOOP_TRAIN_EPOCHS: '2' });
    stack = startUp(stackEnvironment, path.join(work, 'up.log'));
    await until('the stack to listen', async () => (await fetch(`${url}/health`)).ok, 60_000);
    const data = path.join(work, 'fraud.csv');
    await writeFraudCsv(data, { rows: 3_000, seed: 1 });
    cli(['push', data, '--model', 'fraud', '--wait'], stackEnvironment);
  });

  afterAll(async () => {
    if (stack) await stopGracefully(stack);
  });

  const onStack = (args: string[], extra: Record<string, string> = {}) => {
    const result = spawnSync(process.execPath, [CLI, ...args], { env: { ...stackEnvironment, ...extra }, encoding: 'utf8', timeout: 120_000 });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  it('models promote lists the versions of the model when the one asked for is not among them', () => {
    expect(failsWith(onStack(['models', 'promote', 'fraud@v9']), 1)).toBe('mloop: fraud has no version v9 (versions: v1); mloop models lists them [not_found]\n');
    expect(failsWith(onStack(['models', 'promote', 'fruad@v1']), 1)).toBe('mloop: there is no model "fruad" (models: fraud) [not_found]\n');
  });

  it('score on another port than the stack\'s says which URL it tried and how to point at the stack', async () => {
    const elsewhere = await freePort();
    const stderr = failsWith(onStack(['score', 'fraud', file('one.json', '[{"amount": 1}]')], { PORT: String(elsewhere) }), 1);
    expect(stderr).toMatch(new RegExp(`^mloop: cannot reach the stack at http://127\\.0\\.0\\.1:${elsewhere}/score/fraud \\(ECONNREFUSED\\); mloop up \\(process \\d+\\) holds `));
    expect(stderr).toMatch(/set PORT or MLOOP_URL to the address it printed, or start it with `mloop up` \[unavailable\]$/m);
  });

  it('push --wait of a file the loop rejects ends at once with the reason, naming the file', () => {
    const rejected = file('no-target.csv', 'amount,kind\n1,a\n2,b\n');
    const started = Date.now();
    const stderr = failsWith(onStack(['push', rejected, '--model', 'fraud', '--wait']), 1);
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(stderr).toMatch(new RegExp(`^mloop: ${literally(rejected)}: the dataset was rejected: target column "isFraud" is not in the file \\(columns: amount, kind\\)\\. Set "target" in mloop\\.json or pass --target; mloop datasets --json shows its validation report \\[failed_precondition\\]\n$`));
  });
});
