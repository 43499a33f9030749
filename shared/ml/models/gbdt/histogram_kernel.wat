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
    (local $bin i32) (local $p i32) (local $bin2 i32) (local $p2 i32) (local $kEnd2 i32)
    (local.set $end (i32.add (local.get $idx) (i32.shl (local.get $count) (i32.const 2))))
    (local.set $kEnd (i32.shl (local.get $ncols) (i32.const 2)))
    ;; the last k at which a pair of columns starts, plus one step
    (local.set $kEnd2 (i32.sub (local.get $kEnd) (i32.const 4)))
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
        ;; two columns a step: their bins differ (each column has bins of its own), so the two
        ;; read-modify-writes are independent and overlap
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.ge_s (local.get $k) (local.get $kEnd2)))
            (local.set $bin
              (i32.add
                (i32.load8_u (i32.add (local.get $row) (i32.load (i32.add (local.get $cols) (local.get $k)))))
                (i32.load (i32.add (local.get $bases) (local.get $k)))))
            (local.set $bin2
              (i32.add
                (i32.load8_u (i32.add (local.get $row) (i32.load offset=4 (i32.add (local.get $cols) (local.get $k)))))
                (i32.load offset=4 (i32.add (local.get $bases) (local.get $k)))))
            (local.set $p (i32.add (local.get $hist) (i32.shl (local.get $bin) (i32.const 4))))
            (local.set $p2 (i32.add (local.get $hist) (i32.shl (local.get $bin2) (i32.const 4))))
            (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (local.get $gh)))
            (v128.store (local.get $p2) (f64x2.add (v128.load (local.get $p2)) (local.get $gh)))
            (local.set $p (i32.add (local.get $cnt) (i32.shl (local.get $bin) (i32.const 2))))
            (local.set $p2 (i32.add (local.get $cnt) (i32.shl (local.get $bin2) (i32.const 2))))
            (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))
            (i32.store (local.get $p2) (i32.add (i32.load (local.get $p2)) (i32.const 1)))
            (local.set $k (i32.add (local.get $k) (i32.const 8)))
            (br $pairs)))
        ;; an odd column out
        (if (i32.lt_s (local.get $k) (local.get $kEnd))
          (then
            (local.set $bin
              (i32.add
                (i32.load8_u (i32.add (local.get $row) (i32.load (i32.add (local.get $cols) (local.get $k)))))
                (i32.load (i32.add (local.get $bases) (local.get $k)))))
            (local.set $p (i32.add (local.get $hist) (i32.shl (local.get $bin) (i32.const 4))))
            (v128.store (local.get $p) (f64x2.add (v128.load (local.get $p)) (local.get $gh)))
            (local.set $p (i32.add (local.get $cnt) (i32.shl (local.get $bin) (i32.const 2))))
            (i32.store (local.get $p) (i32.add (i32.load (local.get $p)) (i32.const 1)))))
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

  ;; Gradients of the binary logloss (shard_ops.ts, shardEndRound), which in JavaScript spend most of their
  ;; time in Math.exp: exp here is a polynomial on two rows at once, twice as fast. exp and log1p are
  ;; within an ulp or two of Math.exp and Math.log1p, and a gradient is stored as float32, so the trees
  ;; come out the same (a unit test compares every bit on a million scores).

  ;; log(1 + t) for t in [0, 1], as fdlibm's log: u = 1 + t rounded, halved above √2 (k = 1), f = u − 1
  ;; exactly, s = f/(2 + f), log(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with fdlibm's coefficients for R;
  ;; minus the rounding of 1 + t, divided by u.
  (func $log1p (param $t f64) (result f64)
    (local $u f64) (local $f f64) (local $k f64) (local $s f64) (local $z f64) (local $w f64) (local $hfsq f64)
    (local.set $u (f64.add (f64.const 1) (local.get $t)))
    (local.set $f (f64.sub (local.get $u) (f64.const 1)))
    (if (f64.gt (local.get $u) (f64.const 1.4142135623730951))
      (then (local.set $f (f64.sub (f64.mul (local.get $u) (f64.const 0.5)) (f64.const 1))) (local.set $k (f64.const 1))))
    (local.set $s (f64.div (local.get $f) (f64.add (f64.const 2) (local.get $f))))
    (local.set $z (f64.mul (local.get $s) (local.get $s)))
    (local.set $w (f64.mul (local.get $z) (local.get $z)))
    (local.set $hfsq (f64.mul (f64.const 0.5) (f64.mul (local.get $f) (local.get $f))))
    (f64.sub
      (f64.add
        (f64.mul (local.get $k) (f64.const 6.93147180369123816490e-01))
        (f64.sub
          (f64.add (local.get $f)
            (f64.add
              (f64.mul (local.get $s) (f64.add (local.get $hfsq)
                (f64.add
                  (f64.mul (local.get $w) (f64.add (f64.const 0.3999999999940942) (f64.mul (local.get $w) (f64.add (f64.const 0.22222198432149784) (f64.mul (local.get $w) (f64.const 0.15313837699209373))))))
                  (f64.mul (local.get $z) (f64.add (f64.const 0.6666666666666735) (f64.mul (local.get $w) (f64.add (f64.const 0.2857142874366239) (f64.mul (local.get $w) (f64.add (f64.const 0.1818357216161805) (f64.mul (local.get $w) (f64.const 0.14798198605116586)))))))))))
              (f64.mul (local.get $k) (f64.const 1.90821492927058770002e-10))))
          (local.get $hfsq)))
      (f64.div (f64.sub (f64.sub (local.get $u) (f64.const 1)) (local.get $t)) (local.get $u))))

  ;; The logloss of one row from its raw score z, label y and e = e^−z (whose inverse is e^−|z| when z < 0):
  ;; max(z, 0) − y·z + log(1 + e^−|z|), as rowLoss in shard_ops.ts.
  (func $rowLossE (param $z f64) (param $y f64) (param $e f64) (result f64)
    (f64.add
      (f64.sub (f64.max (local.get $z) (f64.const 0)) (f64.mul (local.get $y) (local.get $z)))
      (call $log1p (select (local.get $e) (f64.div (f64.const 1) (local.get $e)) (f64.ge (local.get $z) (f64.const 0))))))

  ;; Rows [from, to): g, h := the gradient and hessian of the logloss at the f64 scores, weighted by
  ;; wpos for positive rows. Returns the summed loss of the rows the caller samples: row i counts when
  ;; acc < m, acc advancing by m a row modulo n (shardEndRound's rule). Two rows at a time; an odd last
  ;; row goes through both lanes and stores one.
  (func (export "binaryGradients")
    (param $scores i32) (param $y i32) (param $g i32) (param $h i32) (param $from i32) (param $to i32)
    (param $wpos f64) (param $acc i32) (param $m i32) (param $n i32) (result f64)
    (local $i i32) (local $z v128) (local $yv v128) (local $e v128) (local $p v128) (local $w v128)
    (local $gv v128) (local $hv v128) (local $loss f64) (local $pair i32)
    (local $x v128) (local $k v128) (local $r v128) (local $k1 v128)
    (local.set $i (local.get $from))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (local.set $pair (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $to)))
        (if (local.get $pair)
          (then
            (local.set $z (v128.load (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 3)))))
            (local.set $yv (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))))))
          (else
            (local.set $z (f64x2.splat (f64.load (i32.add (local.get $scores) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $yv (f64x2.splat (f64.promote_f32 (f32.load (i32.add (local.get $y) (i32.shl (local.get $i) (i32.const 2)))))))))
        ;; e := e^−z per lane: x = k·ln2 + r with |r| ≤ ln2/2, e^r by its Taylor series to r^13 (the rest
        ;; is below 1e-17 of it), times 2^k applied in two halves so that neither leaves the normal range
        (local.set $x (f64x2.neg (local.get $z)))
        (local.set $x (f64x2.min (f64x2.max (local.get $x) (v128.const f64x2 -745.2 -745.2)) (v128.const f64x2 709.8 709.8)))
        (local.set $k (f64x2.nearest (f64x2.mul (local.get $x) (v128.const f64x2 1.4426950408889634 1.4426950408889634))))
        ;; ln2 in two parts, the first with 21 zero low bits: k·hi is exact
        (local.set $r (f64x2.sub
          (f64x2.sub (local.get $x) (f64x2.mul (local.get $k) (v128.const f64x2 0.6931471803691238 0.6931471803691238)))
          (f64x2.mul (local.get $k) (v128.const f64x2 1.9082149292705877e-10 1.9082149292705877e-10))))
        (local.set $p (v128.const f64x2 1.6059043836821613e-10 1.6059043836821613e-10))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.08767569878681e-09 2.08767569878681e-09)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.505210838544172e-08 2.505210838544172e-08)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.755731922398589e-07 2.755731922398589e-07)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.7557319223985893e-06 2.7557319223985893e-06)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 2.48015873015873e-05 2.48015873015873e-05)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.0001984126984126984 0.0001984126984126984)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.001388888888888889 0.001388888888888889)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.008333333333333333 0.008333333333333333)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.041666666666666664 0.041666666666666664)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.16666666666666666 0.16666666666666666)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 0.5 0.5)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1.0 1.0)))
        (local.set $p (f64x2.add (f64x2.mul (local.get $p) (local.get $r)) (v128.const f64x2 1.0 1.0)))
        ;; 2^k as 2^k1 · 2^(k − k1): adding 2^52 + 1023 puts k1 + 1023 in a double's low bits, and shifting
        ;; them up by 52 makes the bits of 2^k1
        (local.set $k1 (f64x2.floor (f64x2.mul (local.get $k) (v128.const f64x2 0.5 0.5))))
        (local.set $e (f64x2.mul
          (f64x2.mul (local.get $p) (i64x2.shl (f64x2.add (local.get $k1) (v128.const f64x2 4503599627371519 4503599627371519)) (i32.const 52)))
          (i64x2.shl (f64x2.add (f64x2.sub (local.get $k) (local.get $k1)) (v128.const f64x2 4503599627371519 4503599627371519)) (i32.const 52))))
        (local.set $p (f64x2.div (v128.const f64x2 1.0 1.0) (f64x2.add (v128.const f64x2 1.0 1.0) (local.get $e))))
        (local.set $w (v128.bitselect (f64x2.splat (local.get $wpos)) (v128.const f64x2 1.0 1.0) (f64x2.gt (local.get $yv) (v128.const f64x2 0.0 0.0))))
        (local.set $gv (f32x4.demote_f64x2_zero (f64x2.mul (f64x2.sub (local.get $p) (local.get $yv)) (local.get $w))))
        (local.set $hv (f32x4.demote_f64x2_zero (f64x2.mul
          (f64x2.max (f64x2.mul (local.get $p) (f64x2.sub (v128.const f64x2 1.0 1.0) (local.get $p))) (v128.const f64x2 1e-16 1e-16))
          (local.get $w))))
        (if (local.get $pair)
          (then
            (v128.store64_lane 0 (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2))) (local.get $gv))
            (v128.store64_lane 0 (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 2))) (local.get $hv)))
          (else
            (f32.store (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 0 (local.get $gv)))
            (f32.store (i32.add (local.get $h) (i32.shl (local.get $i) (i32.const 2))) (f32x4.extract_lane 0 (local.get $hv)))))
        ;; the sampled rows' loss, lane by lane, in row order
        (if (i32.lt_u (local.get $acc) (local.get $m))
          (then (local.set $loss (f64.add (local.get $loss)
            (call $rowLossE (f64x2.extract_lane 0 (local.get $z)) (f64x2.extract_lane 0 (local.get $yv)) (f64x2.extract_lane 0 (local.get $e)))))))
        (local.set $acc (i32.add (local.get $acc) (local.get $m)))
        (if (i32.ge_u (local.get $acc) (local.get $n)) (then (local.set $acc (i32.sub (local.get $acc) (local.get $n)))))
        (if (local.get $pair)
          (then
            (if (i32.lt_u (local.get $acc) (local.get $m))
              (then (local.set $loss (f64.add (local.get $loss)
                (call $rowLossE (f64x2.extract_lane 1 (local.get $z)) (f64x2.extract_lane 1 (local.get $yv)) (f64x2.extract_lane 1 (local.get $e)))))))
            (local.set $acc (i32.add (local.get $acc) (local.get $m)))
            (if (i32.ge_u (local.get $acc) (local.get $n)) (then (local.set $acc (i32.sub (local.get $acc) (local.get $n)))))))
        (local.set $i (i32.add (local.get $i) (i32.add (local.get $pair) (i32.const 1))))
        (br $rows)))
    (local.get $loss))
)
