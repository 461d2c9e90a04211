;; Splits simple CSV lines into fields, for the byte-level reader (src/input/csv-reader.ts), in
;; WebAssembly with 128-bit SIMD: sixteen bytes compared at once, then one step per delimiter or
;; line end (count trailing zeros of the match mask), with the same result as the JavaScript byte
;; loop it stands in for (ChunkParser.simpleRecord): test/input/csv-reader.test.ts compares the two
;; batch for batch. Compiled to src/kernels/split-wasm.ts by `npm run generate`.
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
;;
;; `items` reads one questionnaire's answers from many records at once, for DigitRows: every item
;; cell one digit within [$min, $max] (0 <= min, max <= 9) or empty, as FastRecord.digits reads
;; them. Record r's fields start at index rec[r] of the field arrays $fs/$fe (byte offsets from
;; $input); item i is in field rec[r] + cols[i], reverse-keyed (min + max - x) where rev[i]. For
;; each record it writes how many items were answered to $ans + 4r (-1 when a cell is anything
;; else: the caller reads that record the general way), when $vals is not 0 the values as doubles
;; to $vals + 8(r n + i) (NaN when empty), and for each scale j (items sci[sc[2j] ...], sc[2j+1] of
;; them) the sum and number of its answered items to $sums + 8(r ns + j). $tmp: n scratch words.
;;
;; `assemble` writes score's output rows (src/report/score-rows.ts) for records [$r0, $r1): each
;; record's bytes as read (start and end at $pos + 8r, from $input), then for each of $ng groups
;; (instruments; group g has ns_g scales, the words at $groups + 4g) a comma and each scale's value,
;; then ",answered,status," (no problems); then a line feed. The caller says what to write in
;; $codes, per record and group ns_g + 2 words: the status (0 ok, 1 prorated, 2 incomplete,
;; 3 invalid; -1 in the record's first word: the caller writes this record itself, so stop before
;; it), the number answered, and per scale a whole number >= 0, -1 for no value, or -2 - s for
;; string s (its offset from $strs and length at $strTab + 8s).
;; Status texts at $status + 16t (a length byte, then the text). Writes from $out, which has room;
;; returns the first record not written and stores where the output ends at 264.
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
    (i32.add (local.get $rs) (local.get $delta)))
  (func (export "items") (param $nrec i32) (param $rec i32) (param $fs i32) (param $fe i32) (param $input i32)
        (param $cols i32) (param $rev i32) (param $n i32) (param $min i32) (param $max i32)
        (param $sc i32) (param $sci i32) (param $ns i32)
        (param $ans i32) (param $vals i32) (param $sums i32) (param $tmp i32)
    (local $r i32) (local $fb i32) (local $i i32) (local $f i32) (local $s i32) (local $e i32) (local $c i32)
    (local $answered i32) (local $j i32) (local $p i32) (local $end i32) (local $sum i32) (local $cnt i32) (local $o i32)
    (block $rdone
      (loop $rloop
        (br_if $rdone (i32.ge_u (local.get $r) (local.get $nrec)))
        (block $bad
          (local.set $fb (i32.load (i32.add (local.get $rec) (i32.shl (local.get $r) (i32.const 2)))))
          (local.set $answered (i32.const 0))
          (local.set $i (i32.const 0))
          (block $idone
            (loop $iloop
              (br_if $idone (i32.ge_u (local.get $i) (local.get $n)))
              (local.set $f (i32.shl (i32.add (local.get $fb) (i32.load (i32.add (local.get $cols) (i32.shl (local.get $i) (i32.const 2))))) (i32.const 2)))
              (local.set $s (i32.load (i32.add (local.get $fs) (local.get $f))))
              (local.set $e (i32.load (i32.add (local.get $fe) (local.get $f))))
              (if (i32.eq (local.get $e) (i32.add (local.get $s) (i32.const 1)))
                (then
                  (local.set $c (i32.sub (i32.load8_u (i32.add (local.get $input) (local.get $s))) (i32.const 48)))
                  (br_if $bad (i32.or (i32.lt_s (local.get $c) (local.get $min)) (i32.gt_s (local.get $c) (local.get $max))))
                  (if (i32.load8_u (i32.add (local.get $rev) (local.get $i)))
                    (then (local.set $c (i32.sub (i32.add (local.get $min) (local.get $max)) (local.get $c)))))
                  (local.set $answered (i32.add (local.get $answered) (i32.const 1))))
                (else
                  (br_if $bad (i32.ne (local.get $e) (local.get $s)))
                  (local.set $c (i32.const -1))))
              (i32.store (i32.add (local.get $tmp) (i32.shl (local.get $i) (i32.const 2))) (local.get $c))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br $iloop)))
          (i32.store (i32.add (local.get $ans) (i32.shl (local.get $r) (i32.const 2))) (local.get $answered))
          (if (local.get $vals)
            (then
              (local.set $o (i32.add (local.get $vals) (i32.shl (i32.mul (local.get $r) (local.get $n)) (i32.const 3))))
              (local.set $i (i32.const 0))
              (block $vdone
                (loop $vloop
                  (br_if $vdone (i32.ge_u (local.get $i) (local.get $n)))
                  (local.set $c (i32.load (i32.add (local.get $tmp) (i32.shl (local.get $i) (i32.const 2)))))
                  (f64.store (i32.add (local.get $o) (i32.shl (local.get $i) (i32.const 3)))
                    (select (f64.const nan) (f64.convert_i32_s (local.get $c)) (i32.lt_s (local.get $c) (i32.const 0))))
                  (local.set $i (i32.add (local.get $i) (i32.const 1)))
                  (br $vloop)))))
          (local.set $o (i32.add (local.get $sums) (i32.shl (i32.mul (local.get $r) (local.get $ns)) (i32.const 3))))
          (local.set $j (i32.const 0))
          (block $sdone
            (loop $sloop
              (br_if $sdone (i32.ge_u (local.get $j) (local.get $ns)))
              (local.set $p (i32.add (local.get $sci) (i32.shl (i32.load (i32.add (local.get $sc) (i32.shl (local.get $j) (i32.const 3)))) (i32.const 2))))
              (local.set $end (i32.add (local.get $p) (i32.shl (i32.load offset=4 (i32.add (local.get $sc) (i32.shl (local.get $j) (i32.const 3)))) (i32.const 2))))
              (local.set $sum (i32.const 0))
              (local.set $cnt (i32.const 0))
              (block $tdone
                (loop $tloop
                  (br_if $tdone (i32.ge_u (local.get $p) (local.get $end)))
                  (local.set $c (i32.load (i32.add (local.get $tmp) (i32.shl (i32.load (local.get $p)) (i32.const 2)))))
                  (if (i32.ge_s (local.get $c) (i32.const 0))
                    (then
                      (local.set $sum (i32.add (local.get $sum) (local.get $c)))
                      (local.set $cnt (i32.add (local.get $cnt) (i32.const 1)))))
                  (local.set $p (i32.add (local.get $p) (i32.const 4)))
                  (br $tloop)))
              (i32.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 3))) (local.get $sum))
              (i32.store offset=4 (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 3))) (local.get $cnt))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br $sloop)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rloop))
        ;; A cell that is not one digit in range, nor empty.
        (i32.store (i32.add (local.get $ans) (i32.shl (local.get $r) (i32.const 2))) (i32.const -1))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop))))

  ;; A whole number >= 0 in decimal at $o; returns where it ends.
  (func $int (param $o i32) (param $v i32) (result i32)
    (local $n i32) (local $t i32) (local $e i32)
    (local.set $n (i32.const 1))
    (local.set $t (local.get $v))
    (block $d
      (loop $l
        (br_if $d (i32.lt_u (local.get $t) (i32.const 10)))
        (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $l)))
    (local.set $e (i32.add (local.get $o) (local.get $n)))
    (local.set $t (local.get $e))
    (loop $w
      (local.set $t (i32.sub (local.get $t) (i32.const 1)))
      (i32.store8 (local.get $t) (i32.add (i32.const 48) (i32.rem_u (local.get $v) (i32.const 10))))
      (local.set $v (i32.div_u (local.get $v) (i32.const 10)))
      (br_if $w (i32.ne (local.get $t) (local.get $o))))
    (local.get $e))

  (func (export "assemble") (param $r0 i32) (param $r1 i32) (param $pos i32) (param $input i32)
        (param $codes i32) (param $groups i32) (param $ng i32) (param $strs i32) (param $strTab i32)
        (param $status i32) (param $out i32) (result i32)
    (local $r i32) (local $c i32) (local $st i32) (local $s i32) (local $len i32) (local $k i32)
    (local $v i32) (local $t i32) (local $g i32) (local $ns i32) (local $stride i32)
    ;; A record's codes: per group, ns + 2 words.
    (local.set $g (i32.const 0))
    (block $sdone
      (loop $sloop
        (br_if $sdone (i32.ge_u (local.get $g) (local.get $ng)))
        (local.set $stride (i32.add (local.get $stride)
          (i32.add (i32.load (i32.add (local.get $groups) (i32.shl (local.get $g) (i32.const 2)))) (i32.const 2))))
        (local.set $g (i32.add (local.get $g) (i32.const 1)))
        (br $sloop)))
    (local.set $r (local.get $r0))
    (block $done
      (loop $rloop
        (br_if $done (i32.ge_u (local.get $r) (local.get $r1)))
        (local.set $c (i32.add (local.get $codes) (i32.shl (i32.mul (local.get $r) (local.get $stride)) (i32.const 2))))
        (br_if $done (i32.lt_s (i32.load (local.get $c)) (i32.const 0)))
        ;; The record as read.
        (local.set $s (i32.load (i32.add (local.get $pos) (i32.shl (local.get $r) (i32.const 3)))))
        (local.set $len (i32.sub (i32.load offset=4 (i32.add (local.get $pos) (i32.shl (local.get $r) (i32.const 3)))) (local.get $s)))
        (memory.copy (local.get $out) (i32.add (local.get $input) (local.get $s)) (local.get $len))
        (local.set $out (i32.add (local.get $out) (local.get $len)))
        ;; Each group (instrument): its scales, then ,answered,status,(no problems).
        (local.set $g (i32.const 0))
        (block $gdone
          (loop $gloop
            (br_if $gdone (i32.ge_u (local.get $g) (local.get $ng)))
            (local.set $ns (i32.load (i32.add (local.get $groups) (i32.shl (local.get $g) (i32.const 2)))))
            (local.set $st (i32.load (local.get $c)))
            (local.set $k (i32.const 0))
            (block $kdone
              (loop $kloop
                (br_if $kdone (i32.ge_u (local.get $k) (local.get $ns)))
                (i32.store8 (local.get $out) (i32.const 44))
                (local.set $out (i32.add (local.get $out) (i32.const 1)))
                (local.set $v (i32.load (i32.add (local.get $c) (i32.shl (i32.add (local.get $k) (i32.const 2)) (i32.const 2)))))
                (if (i32.ge_s (local.get $v) (i32.const 0))
                  (then (local.set $out (call $int (local.get $out) (local.get $v))))
                  (else
                    (if (i32.le_s (local.get $v) (i32.const -2))
                      (then
                        (local.set $t (i32.add (local.get $strTab) (i32.shl (i32.sub (i32.const -2) (local.get $v)) (i32.const 3))))
                        (local.set $len (i32.load offset=4 (local.get $t)))
                        (memory.copy (local.get $out) (i32.add (local.get $strs) (i32.load (local.get $t))) (local.get $len))
                        (local.set $out (i32.add (local.get $out) (local.get $len)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $kloop)))
            (i32.store8 (local.get $out) (i32.const 44))
            (local.set $out (call $int (i32.add (local.get $out) (i32.const 1)) (i32.load offset=4 (local.get $c))))
            (i32.store8 (local.get $out) (i32.const 44))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))
            (local.set $t (i32.add (local.get $status) (i32.shl (local.get $st) (i32.const 4))))
            (local.set $len (i32.load8_u (local.get $t)))
            (memory.copy (local.get $out) (i32.add (local.get $t) (i32.const 1)) (local.get $len))
            (local.set $out (i32.add (local.get $out) (local.get $len)))
            (i32.store8 (local.get $out) (i32.const 44))
            (local.set $out (i32.add (local.get $out) (i32.const 1)))
            (local.set $c (i32.add (local.get $c) (i32.shl (i32.add (local.get $ns) (i32.const 2)) (i32.const 2))))
            (local.set $g (i32.add (local.get $g) (i32.const 1)))
            (br $gloop)))
        (i32.store8 (local.get $out) (i32.const 10))
        (local.set $out (i32.add (local.get $out) (i32.const 1)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rloop)))
    (i32.store (i32.const 264) (local.get $out))
    (local.get $r))
)
