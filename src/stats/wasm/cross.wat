;; Column dot products for MomentAccumulator (src/stats/moments.ts), in WebAssembly with 128-bit
;; SIMD: two doubles per instruction, about 5x the JavaScript loop (src/stats/cross-products.ts).
;; Compiled to src/stats/wasm/cross.ts by `npm run generate` (wabt); test/stats/cross-products.test.ts
;; checks that the committed bytes are this file's and that the results equal the JavaScript
;; loop's bit for bit.
;;
;; Every sum is taken in the order the JavaScript loop takes it: a column sum and the product with
;; the row means one row after another; a cross-product in four running sums x0..x3 over rows
;; r = 0, 4, 8 … (lanes of two f64x2 sums), the rows left over added to x0, and (x0 + x1) + (x2 + x3)
;; at the end. Multiply and add are separate instructions (no fused multiply-add), as in
;; JavaScript, so each rounding is the same.
;;
;; Memory, in bytes: `block` at 0 (k columns of 64 doubles, 512 bytes each), `wBlock` at $wOff, the
;; row means at $tOff, and at $oOff the results: k column sums of wBlock, k products with the row
;; means (when $withT), then one dot product per pair a >= b, a-major: (0,0) (1,0) (1,1) (2,0) …
(module
  (memory (export "memory") 1)
  (func (export "cross") (param $k i32) (param $n i32) (param $wOff i32) (param $tOff i32) (param $oOff i32) (param $withT i32)
    (local $a i32) (local $b i32) (local $r i32) (local $pa i32) (local $pb i32) (local $po i32)
    (local $s f64) (local $x0 f64) (local $x1 f64) (local $x2 f64) (local $x3 f64)
    (local $v01 v128) (local $v23 v128) (local $n4 i32)
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
      (block $bdone (loop $bloop
        (br_if $bdone (i32.gt_u (local.get $b) (local.get $a)))
        (local.set $pb (i32.shl (local.get $b) (i32.const 9)))
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
)
