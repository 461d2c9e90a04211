;; Single-byte text (windows-1252, latin1, iso-8859-x, koi8-r, …) to UTF-8, for the decoder in
;; front of the CSV reader (src/input/decode.ts), with 128-bit SIMD: sixteen bytes at once while
;; they are ASCII (copied as they are, their line feeds counted), one byte at a time otherwise,
;; through a table the caller fills from iconv-lite's mapping (src/kernels/transcode.ts).
;; Same result as the JavaScript loop it stands in for (transcodeSingleByteJs; test/kernels).
;;
;; Memory, in bytes: at 0 the table, four bytes per byte value (its UTF-8 bytes, zero-padded); at
;; 1024 each byte value's UTF-8 length (0: the encoding does not define that byte); at 1280 the
;; number of line feeds the last call read. The caller copies the input to $in ($n bytes, 16
;; readable bytes past the end) and leaves 3 $n + 16 writable bytes at $out. `sbcs` returns the
;; number of bytes written, or -1 - i when byte i of the input is not defined (the line feeds
;; before it counted).
(module
  (memory (export "memory") 1)
  (func (export "sbcs") (param $in i32) (param $n i32) (param $out i32) (result i32)
    (local $i i32) (local $end i32) (local $o i32) (local $c i32) (local $len i32)
    (local $lines i32) (local $v v128)
    (local.set $i (local.get $in))
    (local.set $end (i32.add (local.get $in) (local.get $n)))
    (local.set $o (local.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ;; Sixteen ASCII bytes (all high bits clear) at once.
        (if (i32.le_u (i32.add (local.get $i) (i32.const 16)) (local.get $end))
          (then
            (local.set $v (v128.load align=1 (local.get $i)))
            (if (i32.eqz (i8x16.bitmask (local.get $v)))
              (then
                (v128.store align=1 (local.get $o) (local.get $v))
                (local.set $lines
                  (i32.add (local.get $lines)
                    (i32.popcnt (i8x16.bitmask (i8x16.eq (local.get $v) (i8x16.splat (i32.const 10)))))))
                (local.set $i (i32.add (local.get $i) (i32.const 16)))
                (local.set $o (i32.add (local.get $o) (i32.const 16)))
                (br $next)))))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.lt_u (local.get $c) (i32.const 0x80))
          (then
            (i32.store8 (local.get $o) (local.get $c))
            (local.set $o (i32.add (local.get $o) (i32.const 1)))
            (local.set $lines (i32.add (local.get $lines) (i32.eq (local.get $c) (i32.const 10)))))
          (else
            (local.set $len (i32.load8_u offset=1024 (local.get $c)))
            (if (i32.eqz (local.get $len))
              (then
                (i32.store (i32.const 1280) (local.get $lines))
                (return (i32.sub (i32.const -1) (i32.sub (local.get $i) (local.get $in))))))
            ;; All four table bytes (the unused ones are overwritten by what follows).
            (i32.store align=1 (local.get $o) (i32.load (i32.shl (local.get $c) (i32.const 2))))
            (local.set $o (i32.add (local.get $o) (local.get $len)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 1280) (local.get $lines))
    (i32.sub (local.get $o) (local.get $out)))
)
