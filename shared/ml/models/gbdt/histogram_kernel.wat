;; The histogram loop of gbdt (shard_ops.ts, shardHistogram) in WebAssembly with SIMD: for each row of a
;; leaf, its gradient and hessian are added as one f64x2 to the bin of every usable column, and the bin's
;; count is incremented. Bins are row-major (one byte per binned column, `stride` bytes a row), so a row's
;; bins share a cache line however scattered the leaf's rows are. Every pointer is a byte offset into the
;; shared memory the trainer's arrays live in (shared_arrays.ts). Compiled by
;; `node scripts/build_histogram_kernel.mjs` into histogram_kernel_wasm.ts.
(module
  (import "env" "memory" (memory 1 65536 shared))
  ;; idx: u32 rows of the leaf (count of them); g, h: f32 per row, indexed by row;
  ;; cols: i32 byte offset of each usable column within a row; bases: i32 first bin of each in the histogram;
  ;; hist: f64x2 (g, h) per bin; cnt: i32 per bin.
  (func (export "histogram")
    (param $idx i32) (param $count i32) (param $g i32) (param $h i32) (param $bins i32) (param $stride i32)
    (param $cols i32) (param $bases i32) (param $ncols i32) (param $hist i32) (param $cnt i32)
    (local $end i32) (local $r i32) (local $row i32) (local $k i32) (local $kEnd i32) (local $gh v128)
    (local $bin i32) (local $p i32)
    (local.set $end (i32.add (local.get $idx) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $kEnd (i32.shl (local.get $ncols) (i32.const 2)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $idx) (local.get $end)))
        (local.set $r (i32.shl (i32.load (local.get $idx)) (i32.const 2)))
        (local.set $gh
          (f64x2.replace_lane 1
            (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $g) (local.get $r)))))
            (f64.promote_f32 (f32.load (i32.add (local.get $h) (local.get $r))))))
        (local.set $row (i32.add (local.get $bins) (i32.mul (i32.shr_u (local.get $r) (i32.const 2)) (local.get $stride))))
        (local.set $k (i32.const 0))
        (block $colsDone
          (loop $columns
            (br_if $colsDone (i32.ge_u (local.get $k) (local.get $kEnd)))
            (local.set $bin
              (i32.add
                (i32.load8_u (i32.add (local.get $row) (i32.load (i32.add (local.get $cols) (local.get $k)))))
                (i32.load (i32.add (local.get $bases) (local.get $k)))))
            (local.set $p (i32.add (local.get $hist) (i32.shl (local.get $bin) (i32.const 4))))
            (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (local.get $gh)))
            (local.set $p (i32.add (local.get $cnt) (i32.shl (local.get $bin) (i32.const 2))))
            (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $columns)))
        (local.set $idx (i32.add (local.get $idx) (i32.const 4)))
        (br $rows))))
;; The partition of a leaf's rows (shardSplit): of the `count` u32 rows at idx, those whose bin in byte
  ;; `column` has a 1 in the 256-byte table lut stay at idx, in order; the others follow them, in order,
  ;; by way of scratch. Returns how many stayed. Branch-free: which way a row goes is unpredictable.
  (func (export "partition")
    (param $idx i32) (param $count i32) (param $bins i32) (param $stride i32) (param $column i32)
    (param $lut i32) (param $scratch i32) (result i32)
    (local $i i32) (local $end i32) (local $r i32) (local $left i32) (local $nl i32) (local $nr i32)
    (local.set $i (local.get $idx))
    (local.set $end (i32.add (local.get $idx) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $bins (i32.add (local.get $bins) (local.get $column)))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $r (i32.load (local.get $i)))
        (local.set $left
          (i32.load8_u (i32.add (local.get $lut)
            (i32.load8_u (i32.add (local.get $bins) (i32.mul (local.get $r) (local.get $stride)))))))
        (i32.store (i32.add (local.get $idx) (i32.shl (local.get $nl) (i32.const 2))) (local.get $r))
        (i32.store (i32.add (local.get $scratch) (i32.shl (local.get $nr) (i32.const 2))) (local.get $r))
        (local.set $nl (i32.add (local.get $nl) (local.get $left)))
        (local.set $nr (i32.sub (i32.add (local.get $nr) (i32.const 1)) (local.get $left)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $rows)))
    (memory.copy
      (i32.add (local.get $idx) (i32.shl (local.get $nl) (i32.const 2)))
      (local.get $scratch)
      (i32.shl (local.get $nr) (i32.const 2)))
    (local.get $nl))
)

