"""The bench's Parquet files, written by pyarrow as exports write them (zstd, dictionary-encoded strings,
nulls kept), and the same table as CSV:

  parquet_data.py real <credit_data.csv> <rows> <out_prefix>   the real table repeated to <rows>: .csv and .parquet
  parquet_data.py convert <file.csv> <file.parquet>            a CSV as it is, to Parquet, batch by batch
"""
import sys
import pyarrow as pa, pyarrow.csv as csv, pyarrow.parquet as pq

def write_parquet(table, path):
    pq.write_table(table, path, compression='zstd', use_dictionary=True, row_group_size=128 * 1024)

def main():
    if sys.argv[1] == 'real':
        source, rows, out = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        table = csv.read_csv(source)
        copies = -(-rows // table.num_rows)
        table = pa.concat_tables([table] * copies).slice(0, rows)
        csv.write_csv(table, out + '.csv')
        write_parquet(table, out + '.parquet')
    elif sys.argv[1] == 'convert':
        # streamed, so a CSV of gigabytes converts in bounded memory
        reader = csv.open_csv(sys.argv[2], read_options=csv.ReadOptions(block_size=64 << 20))
        with pq.ParquetWriter(sys.argv[3], reader.schema, compression='zstd', use_dictionary=True) as writer:
            for batch in reader:
                writer.write_table(pa.Table.from_batches([batch]), row_group_size=128 * 1024)
    print('ok')

main()
