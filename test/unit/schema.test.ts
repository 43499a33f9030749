import { MloopError } from '../../shared/core/errors';
import { inferSchema, targetLabeler, type InferredSchema } from '../../shared/data/schema';
import { FRAUD_COLUMNS, fraudRows } from '../../shared/data/synthetic';

const paysimSample = (n: number, seed = 3): { header: string[]; rows: string[][] } => ({
  header: [...FRAUD_COLUMNS],
  rows: [...fraudRows(n, seed)].map((r) => FRAUD_COLUMNS.map((c) => String(r[c]))),
});

const kinds = (schema: InferredSchema) => Object.fromEntries(schema.columns.map((c) => [c.name, c.reason ? `${c.kind}:${c.reason}` : c.kind]));

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MloopError);
    expect((err as MloopError).code).toBe('invalid_argument');
    return (err as MloopError).message;
  }
  throw new Error('expected an error');
}

describe('inferSchema', () => {
  it('reads PaySim columns: ids dropped, type categorical, money numeric', () => {
    const { header, rows } = paysimSample(2000);
    const schema = inferSchema(header, rows, { target: 'isFraud' });
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
    expect(schema.target).toEqual({ name: 'isFraud', index: 9, positive: '1', negative: '0' });
  });

  it('drops constant, empty, user-dropped, id-named integer and high-cardinality columns', () => {
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
    const schema = inferSchema(header, rows, { target: 'y', drop: ['colour'] });
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

  it('treats empty, NA, NaN and null as missing, not as text', () => {
    const rows = [['1.5', '0'], ['NA', '1'], ['', '0'], ['null', '1'], ['NaN', '0'], ['-2e3', '1']];
    const schema = inferSchema(['x', 'y'], rows, { target: 'y' });
    expect(schema.columns[0]).toMatchObject({ kind: 'numeric', missing: 4, unique: 2 });
  });

  it('caps nothing at inference but keeps a many-valued categorical whose top values cover the rows', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => [i % 10 === 0 ? `rare${i}` : `common${i % 20}`, String(i % 2)]);
    expect(inferSchema(['merchant', 'y'], rows, { target: 'y' }).columns[0].kind).toBe('categorical');
  });

  it('explains a missing target, listing the columns and how to set it', () => {
    const message = messageOf(() => inferSchema(['a', 'IsFraud'], [['1', '0']], { target: 'isFraud' }));
    expect(message).toMatch(/target column "isFraud" is not in the file \(columns: a, IsFraud\)/);
    expect(message).toMatch(/Did you mean "IsFraud"\?/);
    expect(message).toMatch(/"target" in mloop\.json or pass --target/);
  });

  it('needs exactly two classes, saying which values it found', () => {
    const rows = [['1', 'a'], ['2', 'b'], ['3', 'c']];
    expect(messageOf(() => inferSchema(['x', 'y'], rows, { target: 'y' }))).toMatch(/exactly 2 classes.*found 3 values.*"a", "b", "c"/);
    expect(messageOf(() => inferSchema(['x', 'y'], [['1', 'good'], ['2', 'good']], { target: 'y' }))).toMatch(/single value "good"/);
    expect(messageOf(() => inferSchema(['x', 'y'], [['1', ''], ['2', 'NA']], { target: 'y' }))).toMatch(/has no values/);
  });

  it('recognises 0/1, true/false and yes/no targets in any case', () => {
    const label = (sample: string[], values: string[]) => {
      const schema = inferSchema(['x', 'y'], sample.map((v, i) => [String(i), v]), { target: 'y' });
      return values.map(targetLabeler(schema.target));
    };
    expect(label(['0', '1', '1.0', ' 0 '], ['1', '0', '1.00'])).toEqual([1, 0, 1]);
    expect(label(['TRUE', 'false', 'True'], ['true', 'FALSE'])).toEqual([1, 0]);
    expect(label(['No', 'YES', 'yes'], ['no', 'Yes', 'maybe', '', 'NA'])).toEqual([0, 1, null, null, null]);
  });

  it('needs positive_class for any other pair of values, and honours it', () => {
    const rows = [['1', 'good'], ['2', 'bad'], ['3', 'good']];
    expect(messageOf(() => inferSchema(['x', 'risk'], rows, { target: 'risk' }))).toMatch(
      /target column "risk" has values "good", "bad"; set "positive_class" in mloop\.json/,
    );
    const schema = inferSchema(['x', 'risk'], rows, { target: 'risk', positiveClass: 'bad' });
    expect(schema.target).toMatchObject({ positive: 'bad', negative: 'good' });
    expect(['good', 'bad', 'Bad', 'other'].map(targetLabeler(schema.target))).toEqual([0, 1, 1, null]);
    expect(messageOf(() => inferSchema(['x', 'risk'], rows, { target: 'risk', positiveClass: 'ugly' }))).toMatch(
      /positive_class "ugly" is not a value of target column "risk" \(found "good", "bad"\)/,
    );
  });

  it('accepts a sample without the rare positive class when the classes are still known', () => {
    const zeros = Array.from({ length: 50 }, (_, i) => [String(i), '0']);
    expect(inferSchema(['x', 'y'], zeros, { target: 'y' }).target).toMatchObject({ positive: '1', negative: '0' });
    const goods = zeros.map(([x]) => [x, 'good']);
    expect(inferSchema(['x', 'y'], goods, { target: 'y', positiveClass: 'bad' }).target).toMatchObject({ positive: 'bad', negative: 'good' });
    expect(messageOf(() => inferSchema(['x', 'y'], zeros, { target: 'y', positiveClass: 0 }))).toMatch(/single value "0"/);
    expect(messageOf(() => inferSchema(['x', 'y'], goods, { target: 'y' }))).toMatch(/single value "good"/);
  });

  it('rejects drop entries that are not columns', () => {
    expect(messageOf(() => inferSchema(['x', 'y'], [['1', '0']], { target: 'y', drop: ['z'] }))).toMatch(/drop lists "z", not in the file/);
  });

  it('says so when no feature is left', () => {
    expect(messageOf(() => inferSchema(['x', 'y'], [['1', '0'], ['1', '1']], { target: 'y' }))).toMatch(/no usable feature columns: x \(constant\)/);
  });
});
