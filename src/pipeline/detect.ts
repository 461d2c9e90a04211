/**
 * Which instruments to score when no -i was given: the bundled instruments whose item columns are
 * all in the file's header. One match is used (and named on stderr); several are listed with the
 * command that chooses; none is an error naming the closest. The header is read from the file, or
 * from the first bytes of standard input, which are then given back to the run unchanged.
 */
import { Readable } from 'node:stream';
import { inputError, usageError } from '../errors.js';
import { loadBundled, loadInstruments } from '../instrument/catalogue.js';
import type { LoadedInstrument } from '../instrument/types.js';
import { openTable, type ReadOptions } from '../input/table.js';
import { widen } from '../input/wide.js';
import { nameKey as headerKey } from '../instrument/names.js';

/** Bytes of standard input read to find its header (the first rows of any export fit). */
const PEEK_BYTES = 1 << 20;

/** The header of the input, and a standard input that still gives every byte. */
async function peekHeader(file: string, stdin: Readable, read: ReadOptions): Promise<{ header: string[]; stdin: Readable }> {
  if (file !== '-') {
    // Only the header is read; the run opens the file again.
    const table = await openTable(file, stdin, read);
    return { header: read.wide === undefined ? table.header : widen(table, read.wide).header, stdin };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const source = stdin[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  let done = false;
  while (size < PEEK_BYTES) {
    const r = await source.next();
    if (r.done) {
      done = true;
      break;
    }
    const c = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    chunks.push(c);
    size += c.length;
  }
  const table = await openTable('-', Readable.from(chunks), read);
  const header = read.wide === undefined ? table.header : widen(table, read.wide).header;
  async function* replay() {
    yield* chunks;
    if (done) return;
    for (;;) {
      const r = await source.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return { header, stdin: Readable.from(replay()) };
}

/**
 * The instruments of -i, or those the header shows (see the module comment); the stdin to read from
 * now on; and, when detected, a line to tell the user.
 */
export async function chooseInstruments(ids: string | undefined, file: string, stdin0: Readable, read: ReadOptions, command: string): Promise<{ instruments: LoadedInstrument[]; stdin: Readable; detected?: string }> {
  if (ids !== undefined) return { instruments: await loadInstruments(ids), stdin: stdin0 };
  const { header, stdin } = await peekHeader(file, stdin0, read);
  const present = new Set(header.map(headerKey));
  const bundled = await loadBundled();
  const scored = bundled.map((l) => ({ l, found: l.instrument.items.filter((it) => present.has(headerKey(it.column))).length, of: l.instrument.items.length }));
  const matches = scored.filter((s) => s.found === s.of);
  const shown = file === '-' ? '' : ` ${file}`;
  if (matches.length === 1) {
    const only = matches[0]!.l;
    const detected = `no -i given; the item columns are ${only.instrument.id}'s (${only.instrument.items.map((i) => i.column).slice(0, 3).join(', ')}, …): using -i ${only.instrument.id}`;
    return { instruments: [only], stdin, detected };
  }
  if (matches.length > 1) {
    // One instrument per set of columns: instruments reading the same columns are alternatives.
    const groups = new Map<string, string[]>();
    for (const m of matches) {
      const key = m.l.instrument.items.map((i) => headerKey(i.column)).sort().join(',');
      groups.set(key, [...(groups.get(key) ?? []), m.l.instrument.id]);
    }
    const firsts = [...groups.values()].map((g) => g[0]!);
    const hint = command === 'trajectories'
      ? `trajectories follows one instrument: choose with -i, e.g. rapport trajectories${shown} -i ${firsts[0]} (or -i ${firsts.slice(1).join(', or -i ')})`
      : `choose with -i, e.g. rapport ${command}${shown} -i ${firsts.join(',')}`;
    throw usageError('INSTRUMENTS_AMBIGUOUS', `no -i given, and the file's columns fit ${matches.length} bundled instruments: ${[...groups.values()].map((g) => g.join(' or ')).join('; ')}`, hint);
  }
  const closest = scored.filter((s) => s.found > 0).sort((a, b) => b.found / b.of - a.found / a.of).slice(0, 3);
  throw inputError('INSTRUMENTS_NOT_FOUND', 'no -i given, and no bundled instrument has all its item columns in the file', {
    details: closest.map((s) => `${s.l.instrument.id}: ${s.found} of its ${s.of} item columns (${s.l.instrument.items.filter((it) => !present.has(headerKey(it.column))).slice(0, 4).map((it) => it.column).join(', ')} … missing)`),
    hint: `name the instrument with -i (rapport instruments list), with a --map file if its columns are named differently; or -i ./my-scale.json for your own`,
  });
}
