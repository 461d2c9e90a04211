;; Column dot products for MomentAccumulator (src/stats/moments.ts), in WebAssembly with 128-bit
;; SIMD: two doubles per instruction, about 5x the JavaScript loop (src/stats/cross-products.ts).
;; Compiled to src/kernels/cross-wasm.ts by `npm run generate` (wabt); test/kernels/cross-products.test.ts
;; checks that the committed bytes are this file's and that the results equal the JavaScript
;; loop's bit for bit.
;;
;; Every sum is taken in the order the JavaScript loop takes it: a column sum and the product with
;; the row means one row after another; a cross-product in four running sums x0..x3 over rows
;; r = 0, 4, 8 … (lanes of two f64x2 sums), the rows left over added to x0, and (x0 + x1) + (x2 + x3)
;; at the end. Multiply and add are separate instructions (no fused multiply-add), as in
;; JavaScript, so each rounding is the same.
;;
;; `cross` memory, in bytes: `block` at $bOff (k columns of 64 doubles, 512 bytes each), `wBlock` at
;; $wOff, the row means at $tOff, and at $oOff the results: k column sums of wBlock, k products with
;; the row means (when $withT), then one dot product per pair a >= b, a-major: (0,0) (1,0) (1,1) …
;;
;; `rows` is MomentAccumulator's pass (addColumns, addLoaded, flush; with weights, addWeighted's) for
;; states kept in this memory (src/stats/wasm-moments.ts): rows $r … $nrec - 1 of a batch whose row i
;; holds $n doubles at $vals + 8 i n (NaN = missing). Row i goes to the state at the address held at
;; $tab + 4 g, g its group ($groups + 4 i, or 0 when $groups is 0), weight w = $weights[i] (i32; 1
;; when $weights is 0; a row with w = 0 is left out). A row with none of the state's items answered
;; is left out (a weighted state counts it in `rows`, as addLoaded does), as is, with the listwise
;; flag, a row missing one. A state, from S:
;;   f64: S+0 rows, S+8 complete rows, S+16 incomplete rows, S+24 Σt, S+32 Σt², S+40 shift of t;
;;   i32: S+48 rows in block 0 (complete rows), S+52 in block 1 (incomplete), S+56 k, S+60 listwise;
;;   addresses (i32) from S+64: the items' positions in a row (k i32, in bytes), their shifts, then
;;   the sums fullSum (k), fullCross (k k), partSum (k), partCross (k k), missBoth (k k),
;;   sumWhereMissing (k k), tx (k), tMiss (k), ttMiss (k), one after another; `cross`'s results;
;;   block 0 and its row means; block 1 and its row means; k i32 of scratch for the missing items; a
;;   block of k × 64 16-bit integers (for `crossInt`); at S+136 and S+140 the weighted blocks 0 and 1;
;;   S+144 (i32) 1 for a weighted state (whose blocks are flushed with their weighted copies, and
;;   without the products with the row means: MomentAccumulator(…, rowMeans = false)).
;; Each operation is the JavaScript one, in its order, so the sums have the same bits.
(module
  (memory (export "memory") 1)
  (func $cross (export "cross") (param $k i32) (param $n i32) (param $bOff i32) (param $wOff i32) (param $tOff i32) (param $oOff i32) (param $withT i32)
    (local $a i32) (local $b i32) (local $r i32) (local $pa i32) (local $pb i32) (local $po i32)
    (local $s f64) (local $x0 f64) (local $x1 f64) (local $x2 f64) (local $x3 f64)
    (local $v01 v128) (local $v23 v128) (local $n4 i32)
    (local $q i32) (local $wa01 v128) (local $wa23 v128)
    (local $u001 v128) (local $u023 v128) (local $u101 v128) (local $u123 v128) (local $u201 v128) (local $u223 v128) (local $u301 v128) (local $u323 v128)
    (local.set $n4 (i32.and (local.get $n) (i32.const -4)))
    (local.set $po (i32.add (local.get $oOff) (i32.shl (local.get $k) (i32.const 4))))
    (local.set $a (i32.const 0))
    (block $adone (loop $aloop
      (br_if $adone (i32.ge_u (local.get $a) (local.get $k)))
      ;; pa = wOff + a*512
      (local.set $pa (i32.add (local.get $wOff) (i32.shl (local.get $a) (i32.const 9))))
      ;; s = sum w[r]
      (local.set $s (f64.const 0))
      (local.set $r (i32.const 0))
      (block $sd (loop $sl
        (br_if $sd (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $s (f64.add (local.get $s) (f64.load (i32.add (local.get $pa) (i32.shl (local.get $r) (i32.const 3))))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $sl)))
      (f64.store (i32.add (local.get $oOff) (i32.shl (local.get $a) (i32.const 3))) (local.get $s))
      (if (local.get $withT) (then
        (local.set $s (f64.const 0))
        (local.set $r (i32.const 0))
        (block $td (loop $tl
          (br_if $td (i32.ge_u (local.get $r) (local.get $n)))
          (local.set $s (f64.add (local.get $s)
            (f64.mul (f64.load (i32.add (local.get $pa) (i32.shl (local.get $r) (i32.const 3))))
                     (f64.load (i32.add (local.get $tOff) (i32.shl (local.get $r) (i32.const 3)))))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $tl)))
        (f64.store (i32.add (local.get $oOff) (i32.shl (i32.add (local.get $k) (local.get $a)) (i32.const 3))) (local.get $s))))
      (local.set $b (i32.const 0))
      ;; Four pairs (a, b) … (a, b + 3) at once: each its own sums, in the same order as one at a time,
      ;; but four times as many independent additions in flight (one pair alone waits on its adds).
      (block $b4done (loop $b4loop
        (br_if $b4done (i32.gt_u (i32.add (local.get $b) (i32.const 3)) (local.get $a)))
        (local.set $pb (i32.add (local.get $bOff) (i32.shl (local.get $b) (i32.const 9))))
        (local.set $u001 (v128.const f64x2 0 0))
        (local.set $u023 (v128.const f64x2 0 0))
        (local.set $u101 (v128.const f64x2 0 0))
        (local.set $u123 (v128.const f64x2 0 0))
        (local.set $u201 (v128.const f64x2 0 0))
        (local.set $u223 (v128.const f64x2 0 0))
        (local.set $u301 (v128.const f64x2 0 0))
        (local.set $u323 (v128.const f64x2 0 0))
        (local.set $r (i32.const 0))
        (block $r4d (loop $r4l
          (br_if $r4d (i32.ge_u (local.get $r) (local.get $n4)))
          (local.set $q (i32.add (local.get $pa) (i32.shl (local.get $r) (i32.const 3))))
          (local.set $wa01 (v128.load (local.get $q)))
          (local.set $wa23 (v128.load offset=16 (local.get $q)))
          (local.set $q (i32.add (local.get $pb) (i32.shl (local.get $r) (i32.const 3))))
          (local.set $u001 (f64x2.add (local.get $u001) (f64x2.mul (local.get $wa01) (v128.load offset=0 (local.get $q)))))
          (local.set $u023 (f64x2.add (local.get $u023) (f64x2.mul (local.get $wa23) (v128.load offset=16 (local.get $q)))))
          (local.set $u101 (f64x2.add (local.get $u101) (f64x2.mul (local.get $wa01) (v128.load offset=512 (local.get $q)))))
          (local.set $u123 (f64x2.add (local.get $u123) (f64x2.mul (local.get $wa23) (v128.load offset=528 (local.get $q)))))
          (local.set $u201 (f64x2.add (local.get $u201) (f64x2.mul (local.get $wa01) (v128.load offset=1024 (local.get $q)))))
          (local.set $u223 (f64x2.add (local.get $u223) (f64x2.mul (local.get $wa23) (v128.load offset=1040 (local.get $q)))))
          (local.set $u301 (f64x2.add (local.get $u301) (f64x2.mul (local.get $wa01) (v128.load offset=1536 (local.get $q)))))
          (local.set $u323 (f64x2.add (local.get $u323) (f64x2.mul (local.get $wa23) (v128.load offset=1552 (local.get $q)))))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (br $r4l)))
        ;; pair (a, b + 0): the rows left over into x0, then (x0 + x1) + (x2 + x3).
        (local.set $x0 (f64x2.extract_lane 0 (local.get $u001)))
        (local.set $x1 (f64x2.extract_lane 1 (local.get $u001)))
        (local.set $x2 (f64x2.extract_lane 0 (local.get $u023)))
        (local.set $x3 (f64x2.extract_lane 1 (local.get $u023)))
        (local.set $q (local.get $n4))
        (block $q0d (loop $q0l
          (br_if $q0d (i32.ge_u (local.get $q) (local.get $n)))
          (local.set $x0 (f64.add (local.get $x0) (f64.mul
             (f64.load (i32.add (local.get $pa) (i32.shl (local.get $q) (i32.const 3))))
             (f64.load offset=0 (i32.add (local.get $pb) (i32.shl (local.get $q) (i32.const 3)))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $q0l)))
        (f64.store offset=0 (local.get $po) (f64.add (f64.add (local.get $x0) (local.get $x1)) (f64.add (local.get $x2) (local.get $x3))))
        ;; pair (a, b + 1): the rows left over into x0, then (x0 + x1) + (x2 + x3).
        (local.set $x0 (f64x2.extract_lane 0 (local.get $u101)))
        (local.set $x1 (f64x2.extract_lane 1 (local.get $u101)))
        (local.set $x2 (f64x2.extract_lane 0 (local.get $u123)))
        (local.set $x3 (f64x2.extract_lane 1 (local.get $u123)))
        (local.set $q (local.get $n4))
        (block $q1d (loop $q1l
          (br_if $q1d (i32.ge_u (local.get $q) (local.get $n)))
          (local.set $x0 (f64.add (local.get $x0) (f64.mul
             (f64.load (i32.add (local.get $pa) (i32.shl (local.get $q) (i32.const 3))))
             (f64.load offset=512 (i32.add (local.get $pb) (i32.shl (local.get $q) (i32.const 3)))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $q1l)))
        (f64.store offset=8 (local.get $po) (f64.add (f64.add (local.get $x0) (local.get $x1)) (f64.add (local.get $x2) (local.get $x3))))
        ;; pair (a, b + 2): the rows left over into x0, then (x0 + x1) + (x2 + x3).
        (local.set $x0 (f64x2.extract_lane 0 (local.get $u201)))
        (local.set $x1 (f64x2.extract_lane 1 (local.get $u201)))
        (local.set $x2 (f64x2.extract_lane 0 (local.get $u223)))
        (local.set $x3 (f64x2.extract_lane 1 (local.get $u223)))
        (local.set $q (local.get $n4))
        (block $q2d (loop $q2l
          (br_if $q2d (i32.ge_u (local.get $q) (local.get $n)))
          (local.set $x0 (f64.add (local.get $x0) (f64.mul
             (f64.load (i32.add (local.get $pa) (i32.shl (local.get $q) (i32.const 3))))
             (f64.load offset=1024 (i32.add (local.get $pb) (i32.shl (local.get $q) (i32.const 3)))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $q2l)))
        (f64.store offset=16 (local.get $po) (f64.add (f64.add (local.get $x0) (local.get $x1)) (f64.add (local.get $x2) (local.get $x3))))
        ;; pair (a, b + 3): the rows left over into x0, then (x0 + x1) + (x2 + x3).
        (local.set $x0 (f64x2.extract_lane 0 (local.get $u301)))
        (local.set $x1 (f64x2.extract_lane 1 (local.get $u301)))
        (local.set $x2 (f64x2.extract_lane 0 (local.get $u323)))
        (local.set $x3 (f64x2.extract_lane 1 (local.get $u323)))
        (local.set $q (local.get $n4))
        (block $q3d (loop $q3l
          (br_if $q3d (i32.ge_u (local.get $q) (local.get $n)))
          (local.set $x0 (f64.add (local.get $x0) (f64.mul
             (f64.load (i32.add (local.get $pa) (i32.shl (local.get $q) (i32.const 3))))
             (f64.load offset=1536 (i32.add (local.get $pb) (i32.shl (local.get $q) (i32.const 3)))))))
          (local.set $q (i32.add (local.get $q) (i32.const 1)))
          (br $q3l)))
        (f64.store offset=24 (local.get $po) (f64.add (f64.add (local.get $x0) (local.get $x1)) (f64.add (local.get $x2) (local.get $x3))))
        (local.set $po (i32.add (local.get $po) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 4)))
        (br $b4loop)))
      (block $bdone (loop $bloop
        (br_if $bdone (i32.gt_u (local.get $b) (local.get $a)))
        (local.set $pb (i32.add (local.get $bOff) (i32.shl (local.get $b) (i32.const 9))))
        (local.set $v01 (v128.const f64x2 0 0))
        (local.set $v23 (v128.const f64x2 0 0))
        (local.set $r (i32.const 0))
        (block $rd (loop $rl
          (br_if $rd (i32.ge_u (local.get $r) (local.get $n4)))
          (local.set $v01 (f64x2.add (local.get $v01) (f64x2.mul
             (v128.load (i32.add (local.get $pa) (i32.shl (local.get $r) (i32.const 3))))
             (v128.load (i32.add (local.get $pb) (i32.shl (local.get $r) (i32.const 3)))))))
          (local.set $v23 (f64x2.add (local.get $v23) (f64x2.mul
             (v128.load offset=16 (i32.add (local.get $pa) (i32.shl (local.get $r) (i32.const 3))))
             (v128.load offset=16 (i32.add (local.get $pb) (i32.shl (local.get $r) (i32.const 3)))))))
          (local.set $r (i32.add (local.get $r) (i32.const 4)))
          (br $rl)))
        (local.set $x0 (f64x2.extract_lane 0 (local.get $v01)))
        (local.set $x1 (f64x2.extract_lane 1 (local.get $v01)))
        (local.set $x2 (f64x2.extract_lane 0 (local.get $v23)))
        (local.set $x3 (f64x2.extract_lane 1 (local.get $v23)))
        (block $qd (loop $ql
          (br_if $qd (i32.ge_u (local.get $r) (local.get $n)))
          (local.set $x0 (f64.add (local.get $x0) (f64.mul
             (f64.load (i32.add (local.get $pa) (i32.shl (local.get $r) (i32.const 3))))
             (f64.load (i32.add (local.get $pb) (i32.shl (local.get $r) (i32.const 3)))))))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $ql)))
        (f64.store (local.get $po) (f64.add (f64.add (local.get $x0) (local.get $x1)) (f64.add (local.get $x2) (local.get $x3))))
        (local.set $po (i32.add (local.get $po) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bloop)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $aloop)))
  )

  ;; `cross` for a block of whole numbers, unweighted (w = block), with row means: the same results,
  ;; bit for bit, computed exactly in integers. Every product and sum of whole numbers of at most
  ;; 1024 in size over 64 rows is exact in doubles too, in any order, so the sums equal the
  ;; JavaScript loop's; the products with the row means (fractions) are taken as there, one row
  ;; after another. The block is copied to 16-bit integers at $iOff (k columns of 64, 128 bytes
  ;; each; rows from $n on are set to 0 in both). Returns 0, having written nothing, when a value is
  ;; not such a whole number (the caller then uses `cross`).
  (func $crossInt (param $k i32) (param $n i32) (param $bOff i32) (param $iOff i32) (param $tOff i32) (param $oOff i32) (result i32)
    (local $a i32) (local $b i32) (local $r i32) (local $p i32) (local $q i32) (local $po i32)
    (local $ok v128) (local $v0 v128) (local $v1 v128) (local $i0 v128) (local $i1 v128) (local $lo v128) (local $acc v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $x0 f64) (local $x1 f64) (local $x2 f64) (local $x3 f64) (local $tr f64)
    ;; Rows n … 63 of the block: 0.
    (local.set $a (i32.const 0))
    (block $zd (loop $zl
      (br_if $zd (i32.ge_u (local.get $a) (local.get $k)))
      (local.set $r (local.get $n))
      (block $zrd (loop $zrl
        (br_if $zrd (i32.ge_u (local.get $r) (i32.const 64)))
        (f64.store (i32.add (i32.add (local.get $bOff) (i32.shl (local.get $a) (i32.const 9))) (i32.shl (local.get $r) (i32.const 3))) (f64.const 0))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $zrl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $zl)))
    ;; The 16-bit copy, four values at a time; $ok stays all ones while each is a whole number in [-1024, 1024].
    (local.set $ok (v128.const i32x4 -1 -1 -1 -1))
    (local.set $p (local.get $bOff))
    (local.set $q (local.get $iOff))
    (local.set $a (i32.mul (local.get $k) (i32.const 16)))
    (block $cd (loop $cl
      (br_if $cd (i32.eqz (local.get $a)))
      (local.set $v0 (v128.load (local.get $p)))
      (local.set $v1 (v128.load offset=16 (local.get $p)))
      (local.set $i0 (i32x4.trunc_sat_f64x2_s_zero (local.get $v0)))
      (local.set $i1 (i32x4.trunc_sat_f64x2_s_zero (local.get $v1)))
      (local.set $ok (v128.and (local.get $ok) (v128.and
        (f64x2.eq (f64x2.convert_low_i32x4_s (local.get $i0)) (local.get $v0))
        (f64x2.eq (f64x2.convert_low_i32x4_s (local.get $i1)) (local.get $v1)))))
      (local.set $i0 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $i0) (local.get $i1)))
      (local.set $ok (v128.and (local.get $ok)
        (i32x4.le_u (i32x4.add (local.get $i0) (v128.const i32x4 1024 1024 1024 1024)) (v128.const i32x4 2048 2048 2048 2048))))
      ;; Two groups of four make the eight 16-bit values stored.
      (if (i32.and (local.get $a) (i32.const 1))
        (then (v128.store (local.get $q) (i16x8.narrow_i32x4_s (local.get $lo) (local.get $i0)))
              (local.set $q (i32.add (local.get $q) (i32.const 16))))
        (else (local.set $lo (local.get $i0))))
      (local.set $p (i32.add (local.get $p) (i32.const 32)))
      (local.set $a (i32.sub (local.get $a) (i32.const 1)))
      (br $cl)))
    (if (i32.eqz (i8x16.all_true (local.get $ok))) (then (return (i32.const 0))))
    ;; Column sums (a dot product with ones) and cross-products, a-major: (0,0) (1,0) (1,1) …
    (local.set $po (i32.add (local.get $oOff) (i32.shl (local.get $k) (i32.const 4))))
    (local.set $a (i32.const 0))
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $k)))
      (local.set $p (i32.add (local.get $iOff) (i32.shl (local.get $a) (i32.const 7))))
        (local.set $a0 (v128.load offset=0 (local.get $p)))
        (local.set $a1 (v128.load offset=16 (local.get $p)))
        (local.set $a2 (v128.load offset=32 (local.get $p)))
        (local.set $a3 (v128.load offset=48 (local.get $p)))
        (local.set $a4 (v128.load offset=64 (local.get $p)))
        (local.set $a5 (v128.load offset=80 (local.get $p)))
        (local.set $a6 (v128.load offset=96 (local.get $p)))
        (local.set $a7 (v128.load offset=112 (local.get $p)))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.gt_u (local.get $b) (local.get $a)))
        (local.set $q (i32.add (local.get $iOff) (i32.shl (local.get $b) (i32.const 7))))
        (local.set $acc (v128.const i32x4 0 0 0 0))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a0) (v128.load offset=0 (local.get $q)))))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a1) (v128.load offset=16 (local.get $q)))))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a2) (v128.load offset=32 (local.get $q)))))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a3) (v128.load offset=48 (local.get $q)))))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a4) (v128.load offset=64 (local.get $q)))))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a5) (v128.load offset=80 (local.get $q)))))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a6) (v128.load offset=96 (local.get $q)))))
          (local.set $acc (i32x4.add (local.get $acc) (i32x4.dot_i16x8_s (local.get $a7) (v128.load offset=112 (local.get $q)))))
        (f64.store (local.get $po) (f64.convert_i32_s (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
          (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))))
        (local.set $po (i32.add (local.get $po) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $acc (i32x4.add
        (i32x4.add (i32x4.add (i32x4.extadd_pairwise_i16x8_s (local.get $a0)) (i32x4.extadd_pairwise_i16x8_s (local.get $a1)))
                   (i32x4.add (i32x4.extadd_pairwise_i16x8_s (local.get $a2)) (i32x4.extadd_pairwise_i16x8_s (local.get $a3))))
        (i32x4.add (i32x4.add (i32x4.extadd_pairwise_i16x8_s (local.get $a4)) (i32x4.extadd_pairwise_i16x8_s (local.get $a5)))
                   (i32x4.add (i32x4.extadd_pairwise_i16x8_s (local.get $a6)) (i32x4.extadd_pairwise_i16x8_s (local.get $a7))))))
      (f64.store (i32.add (local.get $oOff) (i32.shl (local.get $a) (i32.const 3))) (f64.convert_i32_s (i32.add
          (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
          (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc))))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al)))
    ;; Σ item × row mean, as the JavaScript loop: rows in order, four columns at a time (each its own sum).
    (local.set $a (i32.const 0))
    (block $td (loop $tl
      (br_if $td (i32.ge_u (local.get $a) (local.get $k)))
      (local.set $p (i32.add (local.get $bOff) (i32.shl (local.get $a) (i32.const 9))))
      (local.set $x0 (f64.const 0)) (local.set $x1 (f64.const 0)) (local.set $x2 (f64.const 0)) (local.set $x3 (f64.const 0))
      (local.set $r (i32.const 0))
      (if (i32.le_u (i32.add (local.get $a) (i32.const 4)) (local.get $k))
        (then
          (block $rd (loop $rl
            (br_if $rd (i32.ge_u (local.get $r) (local.get $n)))
            (local.set $q (i32.add (local.get $p) (i32.shl (local.get $r) (i32.const 3))))
            (local.set $tr (f64.load (i32.add (local.get $tOff) (i32.shl (local.get $r) (i32.const 3)))))
            (local.set $x0 (f64.add (local.get $x0) (f64.mul (f64.load offset=0 (local.get $q)) (local.get $tr))))
            (local.set $x1 (f64.add (local.get $x1) (f64.mul (f64.load offset=512 (local.get $q)) (local.get $tr))))
            (local.set $x2 (f64.add (local.get $x2) (f64.mul (f64.load offset=1024 (local.get $q)) (local.get $tr))))
            (local.set $x3 (f64.add (local.get $x3) (f64.mul (f64.load offset=1536 (local.get $q)) (local.get $tr))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $rl)))
          (local.set $q (i32.add (local.get $oOff) (i32.shl (i32.add (local.get $k) (local.get $a)) (i32.const 3))))
          (f64.store offset=0 (local.get $q) (local.get $x0))
          (f64.store offset=8 (local.get $q) (local.get $x1))
          (f64.store offset=16 (local.get $q) (local.get $x2))
          (f64.store offset=24 (local.get $q) (local.get $x3))
          (local.set $a (i32.add (local.get $a) (i32.const 4))))
        (else
          (block $sd (loop $sl
            (br_if $sd (i32.ge_u (local.get $r) (local.get $n)))
            (local.set $x0 (f64.add (local.get $x0) (f64.mul
              (f64.load (i32.add (local.get $p) (i32.shl (local.get $r) (i32.const 3))))
              (f64.load (i32.add (local.get $tOff) (i32.shl (local.get $r) (i32.const 3)))))))
            (local.set $r (i32.add (local.get $r) (i32.const 1)))
            (br $sl)))
          (f64.store (i32.add (local.get $oOff) (i32.shl (i32.add (local.get $k) (local.get $a)) (i32.const 3))) (local.get $x0))
          (local.set $a (i32.add (local.get $a) (i32.const 1)))))
      (br $tl)))
    (i32.const 1))
  ;; A weighted block's row: w times the block's row (k columns of 512 bytes from $from, into $to).
  (func $weigh (param $from i32) (param $to i32) (param $k i32) (param $w f64)
    (local $j i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $j) (local.get $k)))
      (f64.store (i32.add (local.get $to) (i32.shl (local.get $j) (i32.const 9)))
        (f64.mul (local.get $w) (f64.load (i32.add (local.get $from) (i32.shl (local.get $j) (i32.const 9))))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br $l))))
  ;; MomentAccumulator.flush for a state's block $w (0 complete rows, 1 incomplete): the block's
  ;; sums (through `cross`) added to the state's, fullSum/fullCross or partSum/partCross, and tx.
  (func $flush (param $st i32) (param $w i32)
    (local $k i32) (local $n i32) (local $o i32) (local $a i32) (local $b i32) (local $p i32)
    (local $sum i32) (local $tx i32) (local $q i32) (local $blk i32) (local $cr i32)
    (local.set $n (i32.load offset=48 (i32.add (local.get $st) (i32.shl (local.get $w) (i32.const 2)))))
    (if (i32.eqz (local.get $n)) (then (return)))
    (local.set $k (i32.load offset=56 (local.get $st)))
    (local.set $o (i32.load offset=108 (local.get $st)))
    (local.set $blk (i32.add (local.get $st) (i32.shl (local.get $w) (i32.const 3))))
    (if (i32.load offset=144 (local.get $st))
      (then
        ;; Weighted rows: the weighted block's own copy (w times the block); no products with the
        ;; row means (a weighted state is the bootstrap's, whose accumulators collect none).
        (call $cross (local.get $k) (local.get $n) (i32.load offset=112 (local.get $blk))
          (i32.load offset=136 (i32.add (local.get $st) (i32.shl (local.get $w) (i32.const 2))))
          (i32.load offset=116 (local.get $blk)) (local.get $o) (i32.const 0)))
      (else
        (if (i32.eqz (call $crossInt (local.get $k) (local.get $n) (i32.load offset=112 (local.get $blk))
              (i32.load offset=132 (local.get $st)) (i32.load offset=116 (local.get $blk)) (local.get $o)))
          (then
            (call $cross (local.get $k) (local.get $n) (i32.load offset=112 (local.get $blk)) (i32.load offset=112 (local.get $blk))
              (i32.load offset=116 (local.get $blk)) (local.get $o) (i32.const 1))))))
    (local.set $sum (i32.load offset=72 (i32.add (local.get $st) (i32.shl (local.get $w) (i32.const 3)))))
    (local.set $cr (i32.load offset=76 (i32.add (local.get $st) (i32.shl (local.get $w) (i32.const 3)))))
    (local.set $tx (i32.load offset=96 (local.get $st)))
    (local.set $a (i32.const 0))
    (block $sd (loop $sl
      (br_if $sd (i32.ge_u (local.get $a) (local.get $k)))
      (local.set $p (i32.shl (local.get $a) (i32.const 3)))
      (f64.store (i32.add (local.get $sum) (local.get $p))
        (f64.add (f64.load (i32.add (local.get $sum) (local.get $p))) (f64.load (i32.add (local.get $o) (local.get $p)))))
      (if (i32.eqz (i32.load offset=144 (local.get $st)))
        (then
          (f64.store (i32.add (local.get $tx) (local.get $p))
            (f64.add (f64.load (i32.add (local.get $tx) (local.get $p)))
                     (f64.load (i32.add (i32.add (local.get $o) (i32.shl (local.get $k) (i32.const 3))) (local.get $p)))))))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $sl)))
    (local.set $p (i32.add (local.get $o) (i32.shl (local.get $k) (i32.const 4))))
    (local.set $a (i32.const 0))
    (block $ad (loop $al
      (br_if $ad (i32.ge_u (local.get $a) (local.get $k)))
      (local.set $q (i32.add (local.get $cr) (i32.shl (i32.mul (local.get $a) (local.get $k)) (i32.const 3))))
      (local.set $b (i32.const 0))
      (block $bd (loop $bl
        (br_if $bd (i32.gt_u (local.get $b) (local.get $a)))
        (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.load (local.get $p))))
        (local.set $q (i32.add (local.get $q) (i32.const 8)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $bl)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $al)))
    (i32.store offset=48 (i32.add (local.get $st) (i32.shl (local.get $w) (i32.const 2))) (i32.const 0)))
  (func (export "flush") (param $st i32)
    (call $flush (local.get $st) (i32.const 0))
    (call $flush (local.get $st) (i32.const 1)))
  (func (export "rows") (param $tab i32) (param $groups i32) (param $vals i32) (param $n i32) (param $r i32) (param $nrec i32)
        (param $weights i32)
    (local $w f64) (local $tw f64)
    (local $st i32) (local $k i32) (local $cols i32) (local $row i32) (local $j i32) (local $f i32) (local $m i32)
    (local $blk i32) (local $shift i32) (local $absent i32) (local $x f64) (local $sum f64) (local $t f64) (local $tt f64)
    (local $i i32) (local $b i32) (local $p i32) (local $q i32) (local $f1 i32) (local $blk1 i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $r) (local.get $nrec)))
      (block $skip
        (local.set $st (i32.load (i32.add (local.get $tab) (i32.shl
          (if (result i32) (local.get $groups)
            (then (i32.load (i32.add (local.get $groups) (i32.shl (local.get $r) (i32.const 2)))))
            (else (i32.const 0)))
          (i32.const 2)))))
        (local.set $k (i32.load offset=56 (local.get $st)))
        (local.set $cols (i32.load offset=64 (local.get $st)))
        (local.set $shift (i32.load offset=68 (local.get $st)))
        (local.set $absent (i32.load offset=128 (local.get $st)))
        (local.set $row (i32.add (local.get $vals) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 3))))
        ;; The row's weight (addWeighted: how often a resample drew it; a row drawn 0 times is left out).
        (local.set $w (f64.const 1))
        (if (local.get $weights)
          (then
            (local.set $w (f64.convert_i32_s (i32.load (i32.add (local.get $weights) (i32.shl (local.get $r) (i32.const 2))))))
            (br_if $skip (i32.eqz (f64.gt (local.get $w) (f64.const 0))))))
        ;; addColumns: the shifted values (0 where missing) into block 0's next row, the sum of the
        ;; answers, and the missing items' list.
        (local.set $f (i32.load offset=48 (local.get $st)))
        (local.set $blk (i32.add (i32.load offset=112 (local.get $st)) (i32.shl (local.get $f) (i32.const 3))))
        (local.set $sum (f64.const 0))
        (local.set $m (i32.const 0))
        ;; j over the items; $p at its position (in bytes), $q at its shift, $b at its block cell.
        (local.set $j (i32.const 0))
        (local.set $p (local.get $cols))
        (local.set $q (local.get $shift))
        (local.set $b (local.get $blk))
        (if (local.get $k) (then (loop $vl
          (local.set $x (f64.load (i32.add (local.get $row) (i32.load (local.get $p)))))
          (if (f64.eq (local.get $x) (local.get $x))
            (then
              (f64.store (local.get $b) (f64.sub (local.get $x) (f64.load (local.get $q))))
              (local.set $sum (f64.add (local.get $sum) (local.get $x))))
            (else
              (f64.store (local.get $b) (f64.const 0))
              (i32.store (i32.add (local.get $absent) (i32.shl (local.get $m) (i32.const 2))) (local.get $j))
              (local.set $m (i32.add (local.get $m) (i32.const 1)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (local.set $q (i32.add (local.get $q) (i32.const 8)))
          (local.set $b (i32.add (local.get $b) (i32.const 512)))
          (br_if $vl (i32.lt_u (local.get $j) (local.get $k))))))
        ;; No answer on the scale, or (listwise) an item missing: the row is not the scale's.
        (if (i32.eq (local.get $m) (local.get $k))
          (then
            ;; Weighted (MomentAccumulator.add through addWeighted) the row is counted, as addLoaded does.
            (if (i32.load offset=144 (local.get $st))
              (then (f64.store offset=0 (local.get $st) (f64.add (f64.load offset=0 (local.get $st)) (local.get $w)))))
            (br $skip)))
        (br_if $skip (i32.and (i32.ne (local.get $m) (i32.const 0)) (i32.load offset=60 (local.get $st))))
        ;; addLoaded, weight 1: the row mean t and its sums.
        (f64.store offset=0 (local.get $st) (f64.add (f64.load offset=0 (local.get $st)) (local.get $w)))
        (local.set $t (f64.sub (f64.div (local.get $sum) (f64.convert_i32_s (i32.sub (local.get $k) (local.get $m))))
          (f64.load offset=40 (local.get $st))))
        ;; weight · t and weight · t · t, in that order (for weight 1 they are t and t · t exactly).
        (local.set $tw (f64.mul (local.get $w) (local.get $t)))
        (local.set $tt (f64.mul (local.get $tw) (local.get $t)))
        (f64.store offset=24 (local.get $st) (f64.add (f64.load offset=24 (local.get $st)) (local.get $tw)))
        (f64.store offset=32 (local.get $st) (f64.add (f64.load offset=32 (local.get $st)) (local.get $tt)))
        (if (i32.eqz (local.get $m))
          (then
            ;; A complete row stays in block 0; a full block is flushed.
            (f64.store offset=8 (local.get $st) (f64.add (f64.load offset=8 (local.get $st)) (local.get $w)))
            (if (i32.load offset=144 (local.get $st))
              (then (call $weigh (local.get $blk) (i32.add (i32.load offset=136 (local.get $st)) (i32.shl (local.get $f) (i32.const 3)))
                (local.get $k) (local.get $w))))
            (f64.store (i32.add (i32.load offset=116 (local.get $st)) (i32.shl (local.get $f) (i32.const 3))) (local.get $t))
            (local.set $f (i32.add (local.get $f) (i32.const 1)))
            (i32.store offset=48 (local.get $st) (local.get $f))
            (if (i32.eq (local.get $f) (i32.const 64)) (then (call $flush (local.get $st) (i32.const 0))))
            (br $skip)))
        ;; An incomplete row: moved to block 1 (flushed when full), then the sums over its missing items.
        (f64.store offset=16 (local.get $st) (f64.add (f64.load offset=16 (local.get $st)) (local.get $w)))
        (local.set $f1 (i32.load offset=52 (local.get $st)))
        (local.set $blk1 (i32.add (i32.load offset=120 (local.get $st)) (i32.shl (local.get $f1) (i32.const 3))))
        (local.set $j (i32.const 0))
        (block $md (loop $ml
          (br_if $md (i32.ge_u (local.get $j) (local.get $k)))
          (f64.store (i32.add (local.get $blk1) (i32.shl (local.get $j) (i32.const 9)))
            (f64.load (i32.add (local.get $blk) (i32.shl (local.get $j) (i32.const 9)))))
          (local.set $j (i32.add (local.get $j) (i32.const 1)))
          (br $ml)))
        (if (i32.load offset=144 (local.get $st))
          (then (call $weigh (local.get $blk1) (i32.add (i32.load offset=140 (local.get $st)) (i32.shl (local.get $f1) (i32.const 3)))
            (local.get $k) (local.get $w))))
        (f64.store (i32.add (i32.load offset=124 (local.get $st)) (i32.shl (local.get $f1) (i32.const 3))) (local.get $t))
        (i32.store offset=52 (local.get $st) (i32.add (local.get $f1) (i32.const 1)))
        (if (i32.eq (local.get $f1) (i32.const 63)) (then (call $flush (local.get $st) (i32.const 1))))
        (local.set $i (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $i) (local.get $m)))
          (local.set $b (i32.load (i32.add (local.get $absent) (i32.shl (local.get $i) (i32.const 2)))))
          ;; tMiss[b] += t, ttMiss[b] += t t
          (local.set $p (i32.add (i32.load offset=100 (local.get $st)) (i32.shl (local.get $b) (i32.const 3))))
          (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $tw)))
          (local.set $p (i32.add (i32.load offset=104 (local.get $st)) (i32.shl (local.get $b) (i32.const 3))))
          (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $tt)))
          ;; missBoth[b k + absent[j]] += 1 for j <= i
          (local.set $q (i32.add (i32.load offset=88 (local.get $st)) (i32.shl (i32.mul (local.get $b) (local.get $k)) (i32.const 3))))
          (local.set $j (i32.const 0))
          (block $jd (loop $jl
            (br_if $jd (i32.gt_u (local.get $j) (local.get $i)))
            (local.set $p (i32.add (local.get $q)
              (i32.shl (i32.load (i32.add (local.get $absent) (i32.shl (local.get $j) (i32.const 2)))) (i32.const 3))))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p)) (local.get $w)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $jl)))
          ;; sumWhereMissing[a k + b] += the row's (shifted) item a, for every a
          (local.set $p (i32.add (i32.load offset=92 (local.get $st)) (i32.shl (local.get $b) (i32.const 3))))
          (local.set $j (i32.const 0))
          (block $ad (loop $al
            (br_if $ad (i32.ge_u (local.get $j) (local.get $k)))
            (f64.store (local.get $p) (f64.add (f64.load (local.get $p))
              (f64.mul (local.get $w) (f64.load (i32.add (local.get $blk1) (i32.shl (local.get $j) (i32.const 9)))))))
            (local.set $p (i32.add (local.get $p) (i32.shl (local.get $k) (i32.const 3))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $al)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $il))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $next))))
)
