import { MloopError } from '../../../shared/core/errors';
import type { InferredSchema } from '../../../shared/data/schema';
import { targetLabeler } from '../../../shared/data/target';
import { FRAUD_COLUMNS, fraudRows } from '../../../shared/data/synthetic';
import { schemaOf } from '../../support/data_helpers';

const paysim = (n: number, seed = 3): { header: string[]; rows: string[][] } => ({
  header: [...FRAUD_COLUMNS],
  rows: [...fraudRows(n, seed)].map((r) => FRAUD_COLUMNS.map((c) => String(r[c]))),
});

const kinds = (schema: InferredSchema) => Object.fromEntries(schema.columns.map((c) => [c.name, c.reason ? `${c.kind}:${c.reason}` : c.kind]));

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(MloopError);
    expect((err as MloopError).code).toBe('invalid_argument');
    return (err as MloopError).message;
  }
  throw new Error('expected an error');
}

describe('inferSchema', () => {
  it('reads PaySim columns: ids dropped, type categorical, money numeric', async () => {
    const { header, rows } = paysim(3000);
    const schema = await schemaOf(header, rows, { target: 'isFraud' });
    expect(kinds(schema)).toEqual({
      step: 'numeric',
      type: 'categorical',
      amount: 'numeric',
      nameOrig: 'dropped:id-like',
      oldbalanceOrg: 'numeric',
      newbalanceOrig: 'numeric',
      nameDest: 'dropped:id-like',
      oldbalanceDest: 'numeric',
      newbalanceDest: 'numeric',
      isFraud: 'dropped:target',
    });
    expect(schema.target).toMatchObject({ name: 'isFraud', index: 9, task: 'binary', classes: ['0', '1'] });
  });

  it('drops constant, empty, user-dropped, id-named integer and high-cardinality columns', async () => {
    const header = ['customer_id', 'country', 'flag', 'blank', 'note', 'colour', 'paid', 'y'];
    const rows = Array.from({ length: 400 }, (_, i) => [
      String(1000 + i),
      'NL',
      i % 3 === 0 ? 'yes' : 'no',
      i % 2 ? '' : 'NA',
      `free text ${i % 200}`,
      ['red', 'green', 'blue'][i % 3],
      String(i % 7),
      String(i % 2),
    ]);
    const schema = await schemaOf(header, rows, { target: 'y', drop: ['colour'] });
    expect(kinds(schema)).toEqual({
      customer_id: 'dropped:id-like',
      country: 'dropped:constant',
      flag: 'boolean',
      blank: 'dropped:empty',
      note: 'dropped:high-cardinality',
      colour: 'dropped:user-drop',
      paid: 'numeric',
      y: 'dropped:target',
    });
    expect(schema.columns.find((c) => c.name === 'blank')!.missing).toBe(400);
  });

  it('decides from the whole file, not its first rows', async () => {
    // constant, numeric and boolean-looking for 3000 rows, then not
    const rows = Array.from({ length: 4000 }, (_, i) => [i < 3000 ? 'same' : `v${i % 3}`, i < 3000 ? String(i % 10) : 'x', String(i % 2)]);
    const schema = await schemaOf(['late', 'code', 'y'], rows, { target: 'y' });
    expect(kinds(schema)).toMatchObject({ late: 'categorical', code: 'categorical' });
  });

  it('keeps a column numeric despite a few stray values, which read as missing', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i === 500 ? 'oops' : String(i / 4), String(i % 3), String(i % 2)]);
    expect(kinds(await schemaOf(['x', 'z', 'y'], rows, { target: 'y' })).x).toBe('numeric');
    const many = rows.map(([x, z, y], i) => [i % 50 === 0 ? 'oops' : x, z, y]);
    expect(kinds(await schemaOf(['x', 'z', 'y'], many, { target: 'y' })).x).toBe('dropped:id-like');
  });

  it('treats empty, NA, NaN and null as missing, not as text', async () => {
    const rows = [['1.5', '0'], ['NA', '1'], ['', '0'], ['null', '1'], ['NaN', '0'], ['-2e3', '1'], ['4', '0'], ['5', '1']];
    const schema = await schemaOf(['x', 'y'], rows, { target: 'y' });
    expect(schema.columns[0]).toMatchObject({ kind: 'numeric', missing: 4, unique: 4 });
  });

  it('keeps a many-valued categorical whose top values cover the rows', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i % 10 === 0 ? `rare${i}` : `common${i % 20}`, String(i % 2)]);
    expect((await schemaOf(['merchant', 'y'], rows, { target: 'y' })).columns[0].kind).toBe('categorical');
  });

  it('explains a missing target or time column, listing the columns and how to set it', async () => {
    const message = await messageOf(schemaOf(['a', 'IsFraud'], [['1', '0']], { target: 'isFraud' }));
    expect(message).toMatch(/target column "isFraud" is not in the file \(columns: a, IsFraud\)/);
    expect(message).toMatch(/Did you mean "IsFraud"\?/);
    expect(message).toMatch(/"target" in mloop\.json or pass --target/);
    expect(await messageOf(schemaOf(['a', 'y'], [['1', '0']], { target: 'y', timeColumn: 'date' }))).toMatch(/time column "date" is not in the file/);
  });

  it('rejects drop entries that are not columns', async () => {
    const rows = [['1', '0'], ['2', '1'], ['3', '0'], ['4', '1'], ['5', '0'], ['6', '1']];
    expect(await messageOf(schemaOf(['x', 'y'], rows, { target: 'y', drop: ['z'] }))).toMatch(/drop lists "z", not in the file/);
  });

  it('says so when no feature is left', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => ['1', String(i % 2)]);
    expect(await messageOf(schemaOf(['x', 'y'], rows, { target: 'y' }))).toMatch(/no usable feature columns: x \(constant\)/);
  });
});

describe('the target and its task', () => {
  const target = async (values: string[], opts: { task?: 'binary' | 'multiclass' | 'regression'; positiveClass?: string | number } = {}) =>
    (await schemaOf(['x', 'y'], values.map((v, i) => [String(i), v]), { target: 'y', ...opts })).target;
  const times = (n: number, values: string[]) => Array.from({ length: n }, () => values).flat();

  it('recognises 0/1, true/false and yes/no binary targets in any case', async () => {
    const label = async (sample: string[], values: string[]) => values.map(targetLabeler(await target(sample)));
    expect(await label(times(3, ['0', '1', '1.0', ' 0 ']), ['1', '0', '1.00'])).toEqual([1, 0, 1]);
    expect(await label(times(3, ['TRUE', 'false', 'True']), ['true', 'FALSE'])).toEqual([1, 0]);
    expect(await label(times(3, ['No', 'YES', 'yes']), ['no', 'Yes', 'maybe', '', 'NA'])).toEqual([0, 1, null, null, null]);
  });

  it('needs positive_class for any other pair of values, and honours it', async () => {
    const values = times(3, ['good', 'bad', 'good']);
    expect(await messageOf(target(values))).toMatch(/target column "y" has values "good", "bad"; set "positive_class" in mloop\.json/);
    const spec = await target(values, { positiveClass: 'bad' });
    expect(spec).toMatchObject({ task: 'binary', classes: ['good', 'bad'], counts: [6, 3] });
    expect(['good', 'bad', 'Bad', 'other'].map(targetLabeler(spec))).toEqual([0, 1, 1, null]);
    expect(await messageOf(target(values, { positiveClass: 'ugly' }))).toMatch(/positive_class "ugly" is not a value of target column "y" \(found "good", "bad"\)/);
  });

  it('fails when a class never occurs in the file', async () => {
    expect(await messageOf(target(times(10, ['0'])))).toMatch(/"y" is "0" in all 10 rows; "1" never occurs/);
    expect(await messageOf(target(times(10, ['good']), { positiveClass: 'bad' }))).toMatch(/"bad" never occurs/);
    expect(await messageOf(target(times(10, ['good'])))).toMatch(/single value "good"/);
    expect(await messageOf(target(['', 'NA']))).toMatch(/no usable rows|has no values/);
  });

  it('detects multiclass and regression, and takes the task from mloop.json', async () => {
    expect(await target(times(3, ['a', 'b', 'c']))).toMatchObject({ task: 'multiclass', classes: ['a', 'b', 'c'], counts: [3, 3, 3] });
    expect(await target(times(3, ['1', '2', '3', '1.0']))).toMatchObject({ task: 'multiclass', classes: ['1', '2', '3'], counts: [6, 3, 3] });
    expect(await target(times(3, ['1.5', '2', '3']))).toMatchObject({ task: 'regression', classes: null });
    expect(await target(Array.from({ length: 60 }, (_, i) => String(i)))).toMatchObject({ task: 'regression' });
    expect(await target(times(3, ['0', '1', '2']), { task: 'regression' })).toMatchObject({ task: 'regression' });
    expect(await target(times(3, ['0', '1']), { task: 'multiclass' })).toMatchObject({ task: 'multiclass', classes: ['0', '1'] });
    expect(await messageOf(target(times(3, ['a', 'b', 'c']), { task: 'binary' }))).toMatch(/exactly 2 classes for binary classification; found 3 values/);
    expect(await messageOf(target(times(3, ['a', 'b']), { task: 'regression' }))).toMatch(/0 numeric values; a regression needs at least 3/);
  });

  it('refuses to classify a target with more distinct values than it counts', async () => {
    const values = Array.from({ length: 21_000 }, (_, i) => (i % 2 ? 'yes' : `other${i}`));
    expect(await messageOf(target(values, { positiveClass: 'yes' }))).toMatch(/more than 10000 distinct values; binary classification needs a few classes/);
  });
});
