import { exportStatement, snapshotQuery, sourceProblem, timestampLiteral } from '../../../../shared/pipeline/sources/bigquery_sql';

const AT = new Date('2026-12-01T12:00:00.123Z');

describe('the SQL of a BigQuery source', () => {
  test('a table is read as of the snapshot time, written as a UTC timestamp literal', () => {
    expect(timestampLiteral(AT)).toBe("TIMESTAMP '2026-12-01 12:00:00.123+00'");
    expect(snapshotQuery({ table: 'acme-prod.sales.orders' }, AT)).toBe("SELECT * FROM `acme-prod.sales.orders` FOR SYSTEM_TIME AS OF TIMESTAMP '2026-12-01 12:00:00.123+00'");
  });

  test('a query gets the snapshot wherever it says @snapshot_time, and loses a trailing semicolon', () => {
    const query = 'SELECT o.*, c.segment FROM `p1234.s.orders` FOR SYSTEM_TIME AS OF @snapshot_time o JOIN `p1234.s.customers` FOR SYSTEM_TIME AS OF @snapshot_time c USING (customer_id);';
    const text = snapshotQuery({ query }, AT);
    expect(text.match(/TIMESTAMP '2026-12-01 12:00:00.123\+00'/g)).toHaveLength(2);
    expect(text).not.toContain('@snapshot_time');
    expect(text.endsWith('USING (customer_id)')).toBe(true);
  });

  test('a filter and a sample wrap the snapshot, the sample drawn by a hash of each row so it is the same every run', () => {
    const text = snapshotQuery({ table: 'acme-prod.sales.orders', filter: "country = 'NL'", sample_percent: 2.5 }, AT);
    expect(text).toBe(
      "SELECT * FROM (SELECT * FROM `acme-prod.sales.orders` FOR SYSTEM_TIME AS OF TIMESTAMP '2026-12-01 12:00:00.123+00') AS t WHERE (country = 'NL') AND MOD(ABS(FARM_FINGERPRINT(TO_JSON_STRING(t))), 1000000) < 25000",
    );
    expect(snapshotQuery({ table: 'acme-prod.sales.orders', sample_percent: 100 }, AT)).not.toContain('FARM_FINGERPRINT');
  });

  test('the export writes Parquet under one wildcard, and refuses a path that would break out of its quotes', () => {
    expect(exportStatement('SELECT 1', 'data', 'bigquery/m/k/part-')).toBe("EXPORT DATA OPTIONS(uri='gs://data/bigquery/m/k/part-*.parquet', format='PARQUET', overwrite=true) AS\nSELECT 1");
    expect(() => exportStatement('SELECT 1', 'data', "x'); DROP")).toThrow(/quotes/);
  });

  test('a source names exactly one of table and query, a table in full, a query that says where its snapshot goes', () => {
    expect(sourceProblem({ table: 'acme-prod.sales.orders' })).toBeNull();
    expect(sourceProblem({})).toMatch(/exactly one/);
    expect(sourceProblem({ table: 'acme-prod.sales.orders', query: 'SELECT 1' })).toMatch(/exactly one/);
    expect(sourceProblem({ table: 'sales.orders' })).toMatch(/project\.dataset\.table/);
    expect(sourceProblem({ query: 'DELETE FROM x WHERE true' })).toMatch(/one SELECT/);
    expect(sourceProblem({ query: 'SELECT * FROM `p1234.s.t`' })).toMatch(/FOR SYSTEM_TIME AS OF @snapshot_time/);
    expect(sourceProblem({ query: 'WITH a AS (SELECT * FROM `p1234.s.t` FOR SYSTEM_TIME AS OF @snapshot_time) SELECT * FROM a' })).toBeNull();
  });
});
