import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, tempHome } from './helpers';

// one CLI process per command and subcommand: slow on a busy machine, not stuck
jest.setTimeout(180_000);

const home = tempHome('mloop-help-');
const env = { PATH: process.env.PATH, HOME: process.env.HOME, MLOOP_HOME: home };

function run(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, out: result.stdout + result.stderr };
}

afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** The command names a help text lists under "Commands:". */
function commandsOf(help: string): string[] {
  const section = help.split('Commands:\n')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
}

const LISTINGS = ['runs', 'datasets', 'models', 'dlq', 'drift'];

describe('mloop --help', () => {
  const root = run(['--help']);
  const commands = commandsOf(root.out);

  it('lists every command', () => {
    expect(root.status).toBe(0);
    expect(commands).toEqual(expect.arrayContaining(['up', 'push', 'runs', 'models', 'dlq', 'drift', 'train', 'retrain', 'serve', 'datasets', 'score', 'generate', 'demo']));
  });

  it('answers <command> --help for each command and subcommand, in plain text', () => {
    for (const command of commands) {
      const help = run([command, '--help']);
      expect(help.status).toBe(0);
      expect(help.out.startsWith(`Usage: mloop ${command}`)).toBe(true);
      expect(help.out).not.toMatch(/\x1b/);
      for (const sub of commandsOf(help.out)) {
        const subHelp = run([command, sub, '--help']);
        expect(subHelp.status).toBe(0);
        expect(subHelp.out.startsWith(`Usage: mloop ${command} ${sub}`)).toBe(true);
      }
    }
  });

  it('offers --json on every listing, and each prints JSON even with nothing to list', () => {
    for (const listing of LISTINGS) {
      expect(run([listing, '--help']).out).toMatch(/--json/);
      const listed = run([listing, '--json']);
      expect(listed.status).toBe(0);
      expect(() => JSON.parse(listed.out)).not.toThrow();
    }
  });

  it('says what went wrong and what to do with a wrong option', () => {
    const wrong = run(['push', 'data.csv']);
    expect(wrong.status).not.toBe(0);
    expect(wrong.out).toMatch(/--model/);
    expect(wrong.out).toMatch(/mloop <command> --help/);
  });

  it('names the file and line of a broken CSV, and how to fix it', () => {
    const file = path.join(home, 'broken.csv');
    fs.writeFileSync(file, 'amount,isFraud\n1,0\n2,"1\n3,0\n');
    const broken = run(['train', file]);
    expect(broken.status).toBe(2);
    expect(broken.out).toContain(`${file}:3: cannot parse the CSV at line 3`);
    expect(broken.out).toMatch(/must be in double quotes/);
  });
});
