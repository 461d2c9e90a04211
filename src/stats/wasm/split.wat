;; Splits simple CSV lines into fields, for the byte-level reader (src/io/fast-csv.ts), in
;; WebAssembly with 128-bit SIMD: sixteen bytes compared at once, then one step per delimiter or
;; line end (count trailing zeros of the match mask). Several times the JavaScript byte loop it
;; stands in for (ChunkParser.simpleRecord), with the same result: test/io/fast-csv.test.ts
;; compares the two batch for batch. Compiled to src/stats/wasm/split.ts by `npm run generate`.
;;
;; A simple line is one without a quote and without a carriage return other than a final CRLF,
;; non-empty and at most 65,536 bytes: what simpleRecord accepts. The kernel splits lines from $p0
;; until the first one that is not simple, or that does not end before $end, and returns where that
;; line starts (+ $delta); JavaScript parses that line its own way and may call again after it.
;;
;; Memory, in bytes: at 0 a table of 256 bytes, 1 for the bytes a spreadsheet formula starts with
;; (FORMULA_START); at 256 and 260 the number of records and of fields written by the last call; the
;; input wherever the caller copied it (16 readable bytes past $end). Written, for record r: at
;; $rec + 16r its start, end (without the line ending), number of fields and formula flag; for
;; field f: its start at $fs + 4f and end at $fe + 4f. Positions are addresses + $delta (positions
;; in the caller's buffer). The caller leaves room: a window of L bytes holds at most L fields and
;; L / 2 records.
(module
  (memory (export "memory") 1)
  (func (export "split") (param $p0 i32) (param $end i32) (param $delim i32) (param $delta i32)
        (param $rec i32) (param $fs i32) (param $fe i32) (result i32)
    (local $pos i32) (local $rs i32) (local $s i32) (local $count i32) (local $risky i32)
    (local $p i32) (local $v v128) (local $m i32) (local $lim i32) (local $q i32) (local $c i32)
    (local $nr i32) (local $nf i32) (local $done i32) (local $vd v128) (local $o i32)
    (local.set $vd (i8x16.splat (local.get $delim)))
    (local.set $pos (local.get $p0))
    (block $stop
      (loop $record
        ;; A record starts at $pos: not at the end, not an empty line, not a lone CR.
        (local.set $rs (local.get $pos))
        (br_if $stop (i32.ge_u (local.get $rs) (local.get $end)))
        (local.set $c (i32.load8_u (local.get $rs)))
        (br_if $stop (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13))))
        (local.set $s (local.get $rs))
        (local.set $count (i32.const 0))
        (local.set $nf (local.get $done))
        (local.set $risky (i32.load8_u (local.get $c)))
        (local.set $p (local.get $rs))
        (loop $block
          (br_if $stop (i32.ge_u (local.get $p) (local.get $end)))
          (local.set $v (v128.load (local.get $p)))
          (local.set $m (i8x16.bitmask (v128.or
            (v128.or (i8x16.eq (local.get $v) (local.get $vd)) (i8x16.eq (local.get $v) (i8x16.splat (i32.const 10))))
            (v128.or (i8x16.eq (local.get $v) (i8x16.splat (i32.const 13))) (i8x16.eq (local.get $v) (i8x16.splat (i32.const 34)))))))
          ;; Bytes at or past $end do not count.
          (local.set $lim (i32.sub (local.get $end) (local.get $p)))
          (if (i32.lt_u (local.get $lim) (i32.const 16))
            (then (local.set $m (i32.and (local.get $m) (i32.sub (i32.shl (i32.const 1) (local.get $lim)) (i32.const 1))))))
          (block $nextBlock
            (loop $bits
              (br_if $nextBlock (i32.eqz (local.get $m)))
              (local.set $q (i32.add (local.get $p) (i32.ctz (local.get $m))))
              (local.set $c (i32.load8_u (local.get $q)))
              (if (i32.eq (local.get $c) (local.get $delim))
                (then
                  ;; A field [s, q); the next starts after the delimiter.
                  (local.set $o (i32.shl (local.get $nf) (i32.const 2)))
                  (i32.store (i32.add (local.get $fs) (local.get $o)) (i32.add (local.get $s) (local.get $delta)))
                  (i32.store (i32.add (local.get $fe) (local.get $o)) (i32.add (local.get $q) (local.get $delta)))
                  (local.set $nf (i32.add (local.get $nf) (i32.const 1)))
                  (local.set $count (i32.add (local.get $count) (i32.const 1)))
                  (local.set $s (i32.add (local.get $q) (i32.const 1)))
                  (local.set $risky (i32.or (local.get $risky) (i32.load8_u (i32.load8_u (local.get $s)))))
                  (local.set $m (i32.and (local.get $m) (i32.sub (local.get $m) (i32.const 1))))
                  (br $bits)))
              ;; A line feed ends the record; so does CR LF; any other CR, or a quote, is not simple.
              (if (i32.eq (local.get $c) (i32.const 13))
                (then
                  (br_if $stop (i32.ge_u (i32.add (local.get $q) (i32.const 1)) (local.get $end)))
                  (br_if $stop (i32.ne (i32.load8_u (i32.add (local.get $q) (i32.const 1))) (i32.const 10)))
                  (local.set $pos (i32.add (local.get $q) (i32.const 2))))
                (else
                  (br_if $stop (i32.ne (local.get $c) (i32.const 10)))
                  (local.set $pos (i32.add (local.get $q) (i32.const 1)))))
              (br_if $stop (i32.gt_u (i32.sub (local.get $q) (local.get $rs)) (i32.const 65536)))
              ;; The last field [s, q), and the record [rs, q).
              (local.set $o (i32.shl (local.get $nf) (i32.const 2)))
              (i32.store (i32.add (local.get $fs) (local.get $o)) (i32.add (local.get $s) (local.get $delta)))
              (i32.store (i32.add (local.get $fe) (local.get $o)) (i32.add (local.get $q) (local.get $delta)))
              (local.set $nf (i32.add (local.get $nf) (i32.const 1)))
              (local.set $count (i32.add (local.get $count) (i32.const 1)))
              (local.set $o (i32.add (local.get $rec) (i32.shl (local.get $nr) (i32.const 4))))
              (i32.store (local.get $o) (i32.add (local.get $rs) (local.get $delta)))
              (i32.store offset=4 (local.get $o) (i32.add (local.get $q) (local.get $delta)))
              (i32.store offset=8 (local.get $o) (local.get $count))
              (i32.store offset=12 (local.get $o) (local.get $risky))
              (local.set $nr (i32.add (local.get $nr) (i32.const 1)))
              (local.set $done (local.get $nf))
              (br $record)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br $block))))
    (i32.store (i32.const 256) (local.get $nr))
    (i32.store (i32.const 260) (local.get $done))
    (i32.add (local.get $rs) (local.get $delta))))
