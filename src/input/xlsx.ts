/**
 * Reading the first (or a named) worksheet of an .xlsx workbook as rows of text cells, streamed:
 * yauzl reads the zip (from its central directory, so a file cut short is refused at once) and
 * saxes parses each part's XML strictly (so malformed or truncated XML is an error, never a half
 * read). The sheet is the first in the workbook's tab order. Numbers become their shortest decimal
 * text, date-formatted numbers ISO dates (1900 and 1904 date systems), shared and inline strings
 * their text, booleans TRUE/FALSE, error cells their code (#DIV/0!). A formula cell keeps its cached
 * result; one saved without a result (a workbook written by a program, never opened in Excel) is
 * given as its formula, `=…`, so the cell is a problem rather than an empty answer. The worksheet
 * row number stands in for the file line. (exceljs, used before, reported a cut-short sheet as a
 * shorter one, with success, and brought 190 packages: see README "Dependencies".)
 */
import { posix } from 'node:path';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { inputError } from '../errors.js';
import { ArrayRecord, batchRecords, findDuplicateHeaders, type Row } from './records.js';
import type { TableSource } from './source.js';

/** A workbook that cannot be read: XLSX_UNREADABLE (exit 3). */
const unreadable = (path: string, why: string) =>
  inputError('XLSX_UNREADABLE', `cannot read ${path} as an .xlsx workbook: ${why}`, {
    location: { file: path },
    hint: 'is it a whole .xlsx file (not .xls, or a CSV renamed, or a copy cut short)? save it again from your spreadsheet program, or export the sheet as CSV',
  });

const openZip = (path: string) => new Promise<ZipFile>((ok, fail) => yauzl.open(path, { lazyEntries: true, autoClose: false }, (e, z) => (e ? fail(e) : ok(z))));

async function listEntries(zip: ZipFile): Promise<Map<string, Entry>> {
  const map = new Map<string, Entry>();
  await new Promise<void>((ok, fail) => {
    zip.on('entry', (en: Entry) => {
      map.set(en.fileName, en);
      zip.readEntry();
    });
    zip.on('end', ok);
    zip.on('error', fail);
    zip.readEntry();
  });
  return map;
}

/** An element's name without its namespace prefix (x:row -> row). */
const local = (name: string): string => name.slice(name.indexOf(':') + 1);

/**
 * Streams a zip entry through a strict XML parser set up by `setup`; between chunks, yields what
 * `drain` returns. Malformed or unfinished XML throws.
 */
async function* parseEntry<T>(zip: ZipFile, entry: Entry, setup: (p: SaxesParser) => () => T[]): AsyncGenerator<T> {
  const parser = new SaxesParser({ xmlns: false });
  let failure: Error | undefined;
  parser.on('error', (e) => {
    failure ??= e;
  });
  const drain = setup(parser);
  const stream = await new Promise<NodeJS.ReadableStream>((ok, fail) => zip.openReadStream(entry, (e, s) => (e ? fail(e) : ok(s))));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    parser.write(decoder.decode(chunk, { stream: true }));
    if (failure) throw new Error(`${entry.fileName}: ${failure.message}`);
    yield* drain();
  }
  parser.write(decoder.decode());
  parser.close();
  if (failure) throw new Error(`${entry.fileName}: malformed or truncated XML (${(failure as Error).message})`);
  yield* drain();
}

async function readWhole(zip: ZipFile, entries: Map<string, Entry>, name: string, setup: (p: SaxesParser) => void): Promise<boolean> {
  const entry = entries.get(name);
  if (!entry) return false;
  for await (const _ of parseEntry<never>(zip, entry, (p) => {
    setup(p);
    return () => [];
  }));
  return true;
}

/** Built-in number formats that are dates or times (ECMA-376 §18.8.30). */
const BUILTIN_DATE = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58]);

/** Whether a custom number format shows a date or time (quoted text, escapes and [colour] tags aside). */
function isDateFormat(code: string): boolean {
  const s = code.replace(/"[^"]*"/g, '').replace(/\\./g, '').replace(/\[(?!h\]|hh\]|m\]|mm\]|s\]|ss\])[^\]]*\]/gi, '');
  return /[dmyhs]/i.test(s) && !/^[#0.,%E+\-\s]*$/.test(s);
}

/** An Excel date serial as an ISO date (or date and time), in the workbook's date system. */
function serialToIso(serial: number, date1904: boolean): string {
  let days = date1904 ? serial + 1462 : serial;
  if (!date1904 && days < 61) days += 1; // Excel's fictitious 1900-02-29
  const iso = new Date(Math.round((days - 25569) * 86400) * 1000).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
}

/** Column index of a cell reference (B7 -> 1). */
function columnOf(ref: string): number {
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    const c = ref.charCodeAt(i);
    if (c < 65 || c > 90) break;
    n = n * 26 + c - 64;
  }
  return n - 1;
}

/** The rows (cell texts by column, and the sheet row number) of one worksheet, streamed. */
async function* sheetRows(path: string, sheetName: string | undefined, seen: { sheets: string[] }): AsyncGenerator<Row> {
  let zip: ZipFile;
  try {
    zip = await openZip(path);
  } catch (err) {
    throw unreadable(path, (err as Error).message);
  }
  try {
    const entries = await listEntries(zip);
    const sheets: Array<{ name: string; rid: string }> = [];
    let date1904 = false;
    const found = await readWhole(zip, entries, 'xl/workbook.xml', (p) =>
      p.on('opentag', (t: SaxesTagPlain) => {
        const name = local(t.name);
        if (name === 'sheet') sheets.push({ name: String(t.attributes.name), rid: String(t.attributes['r:id'] ?? t.attributes.id ?? '') });
        else if (name === 'workbookPr') date1904 = t.attributes.date1904 === '1' || t.attributes.date1904 === 'true';
      }),
    );
    if (!found) throw new Error('it has no xl/workbook.xml');
    seen.sheets = sheets.map((s) => s.name);
    const rels = new Map<string, string>();
    await readWhole(zip, entries, 'xl/_rels/workbook.xml.rels', (p) =>
      p.on('opentag', (t: SaxesTagPlain) => {
        if (local(t.name) === 'Relationship') rels.set(String(t.attributes.Id), String(t.attributes.Target));
      }),
    );
    const sheet = sheetName === undefined ? sheets[0] : sheets.find((s) => s.name === sheetName);
    if (!sheet) {
      throw inputError('XLSX_SHEET_NOT_FOUND', sheetName === undefined ? `${path} has no worksheet` : `${path} has no worksheet "${sheetName}"`, {
        location: { file: path },
        ...(sheets.length > 0 ? { hint: `its worksheets are ${sheets.map((s) => `"${s.name}"`).join(', ')}` } : {}),
      });
    }
    const target = (rels.get(sheet.rid) ?? '').replace(/^\//, '');
    const part = entries.get(target.startsWith('xl/') ? target : posix.normalize(posix.join('xl', target)));
    if (!part) throw new Error(`worksheet "${sheet.name}" points to a part the file does not have (${target})`);

    // Which cell styles show dates.
    const custom = new Map<number, string>();
    const dateStyle: boolean[] = [];
    let inCellXfs = false;
    await readWhole(zip, entries, 'xl/styles.xml', (p) => {
      p.on('opentag', (t: SaxesTagPlain) => {
        const name = local(t.name);
        if (name === 'numFmt') custom.set(Number(t.attributes.numFmtId), String(t.attributes.formatCode));
        else if (name === 'cellXfs') inCellXfs = true;
        else if (name === 'xf' && inCellXfs) {
          const id = Number(t.attributes.numFmtId ?? 0);
          dateStyle.push(custom.has(id) ? isDateFormat(custom.get(id)!) : BUILTIN_DATE.has(id));
        }
      });
      p.on('closetag', (t) => {
        if (local(t.name) === 'cellXfs') inCellXfs = false;
      });
    });

    // Shared strings (rich-text runs joined, phonetic runs left out).
    const shared: string[] = [];
    let si: string | undefined;
    let inT = false;
    let inPhonetic = false;
    await readWhole(zip, entries, 'xl/sharedStrings.xml', (p) => {
      p.on('opentag', (t: SaxesTagPlain) => {
        const name = local(t.name);
        if (name === 'si') si = '';
        else if (name === 't') inT = true;
        else if (name === 'rPh') inPhonetic = true;
      });
      p.on('text', (x) => {
        if (inT && !inPhonetic && si !== undefined) si += x;
      });
      p.on('closetag', (t) => {
        const name = local(t.name);
        if (name === 'si') {
          shared.push(si ?? '');
          si = undefined;
        } else if (name === 't') inT = false;
        else if (name === 'rPh') inPhonetic = false;
      });
    });

    // The sheet, row by row.
    let row: string[] | undefined;
    let rowNumber = 0;
    let cell: { type: string | undefined; style: number | undefined; value: string | undefined; inline: string | undefined; formula: string | undefined; col: number } | undefined;
    let text = '';
    let inValue = false;
    let inFormula = false;
    let inInline = false;
    let ready: Row[] = [];
    const cellText = (c: NonNullable<typeof cell>): string => {
      if (c.type === 'inlineStr') return c.inline ?? '';
      if (c.value === undefined) return c.formula !== undefined ? `=${c.formula}` : '';
      if (c.type === 's') {
        const s = shared[Number(c.value)];
        if (s === undefined) throw new Error(`row ${rowNumber}: shared string ${c.value} does not exist`);
        return s;
      }
      if (c.type === 'str' || c.type === 'e' || c.type === 'd') return c.value;
      if (c.type === 'b') return c.value === '1' ? 'TRUE' : 'FALSE';
      const x = Number(c.value);
      if (c.value.trim() === '' || Number.isNaN(x)) throw new Error(`row ${rowNumber}: "${c.value}" is not a number`);
      return c.style !== undefined && dateStyle[c.style] ? serialToIso(x, date1904) : String(x);
    };
    yield* parseEntry<Row>(zip, part, (p) => {
      p.on('opentag', (t: SaxesTagPlain) => {
        switch (local(t.name)) {
          case 'row':
            rowNumber = t.attributes.r !== undefined ? Number(t.attributes.r) : rowNumber + 1;
            row = [];
            break;
          case 'c':
            cell = { type: t.attributes.t as string | undefined, style: t.attributes.s === undefined ? undefined : Number(t.attributes.s), value: undefined, inline: undefined, formula: undefined, col: t.attributes.r !== undefined ? columnOf(String(t.attributes.r)) : (row?.length ?? 0) };
            break;
          case 'v':
            inValue = true;
            text = '';
            break;
          case 'f':
            inFormula = true;
            text = '';
            break;
          case 't':
            if (cell?.type === 'inlineStr') {
              inInline = true;
              text = cell.inline ?? '';
            }
            break;
        }
      });
      p.on('text', (x) => {
        if (inValue || inFormula || inInline) text += x;
      });
      p.on('closetag', (t) => {
        switch (local(t.name)) {
          case 'v':
            inValue = false;
            if (cell) cell.value = text;
            break;
          case 'f':
            inFormula = false;
            if (cell) cell.formula = text;
            break;
          case 't':
            if (inInline && cell) cell.inline = text;
            inInline = false;
            break;
          case 'c':
            if (cell && row) row[cell.col] = cellText(cell);
            cell = undefined;
            break;
          case 'row':
            if (row) {
              const fields = Array.from(row, (v) => v ?? '');
              // Empty rows are skipped, as a CSV export would drop them.
              if (fields.some((v) => v.trim() !== '')) ready.push(new ArrayRecord(fields, rowNumber));
            }
            row = undefined;
            break;
        }
      });
      return () => {
        const out = ready;
        ready = [];
        return out;
      };
    });
  } catch (err) {
    if ((err as { code?: string }).code === 'XLSX_SHEET_NOT_FOUND') throw err;
    throw unreadable(path, (err as Error).message);
  } finally {
    zip.close();
  }
}

export async function readXlsx(path: string, sheet: string | undefined, decimalComma: boolean): Promise<TableSource> {
  const seen = { sheets: [] as string[] };
  const rows = sheetRows(path, sheet, seen);
  const otherSheets = (): { hint?: string } =>
    sheet === undefined && seen.sheets.length > 1
      ? { hint: `this is the first worksheet, "${seen.sheets[0]}"; the workbook also has ${seen.sheets.slice(1).map((s) => `"${s}"`).join(', ')}: choose one with --sheet` }
      : {};
  const next = async (): Promise<Row | undefined> => {
    const r = await rows.next();
    return r.done ? undefined : r.value;
  };
  const header = await next();
  if (!header) throw inputError('CSV_EMPTY', `${path}: the worksheet is empty`, { location: { file: path }, ...otherSheets() });
  while (header.fields.length > 0 && header.fields.at(-1)!.trim() === '') header.fields.pop();
  const dups = findDuplicateHeaders(header.fields);
  if (dups.length > 0) throw inputError('CSV_DUPLICATE_HEADER', `${path} has duplicate column names: ${dups.join(', ')}`, { location: { file: path, line: header.line }, hint: 'rename the columns so every name is unique' });
  const width = header.fields.length;
  const shape = (r: Row): Row => {
    const extra = r.fields.slice(width).findIndex((v) => v.trim() !== '');
    if (extra >= 0) {
      throw inputError('CSV_RAGGED_ROW', `${path}: row ${r.line} has a value in column ${width + extra + 1}, beyond the ${width} named columns`, { location: { file: path, line: r.line }, hint: 'give that column a header, or delete the stray value' });
    }
    const fields = r.fields.slice(0, width);
    while (fields.length < width) fields.push('');
    return new ArrayRecord(fields, r.line);
  };
  const first = await next();
  if (!first) throw inputError('CSV_NO_ROWS', `${path} has a header but no data rows`, { location: { file: path, line: header.line }, ...otherSheets() });
  async function* records(): AsyncGenerator<Row> {
    yield shape(first!);
    for (let r = await next(); r; r = await next()) yield shape(r);
  }
  return {
    name: path,
    header: header.fields,
    headerLine: header.line,
    batches: batchRecords(records()),
    bytesRead: () => 0,
    dialect: { format: 'xlsx', delimiter: '', encoding: 'xlsx', decimalComma, ...(sheet === undefined && seen.sheets.length > 1 ? { otherSheets: seen.sheets.slice(1) } : {}) },
    skipped: [],
  };
}
