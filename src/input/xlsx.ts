/**
 * Reading the first (or a named) worksheet of an .xlsx workbook as a table of text cells, streamed
 * with ExcelJS. Numbers become their shortest decimal text, dates ISO dates, formulas their cached
 * result, rich text its plain text. The worksheet row number stands in for the file line.
 */
import ExcelJS from 'exceljs';
import { inputError } from '../errors.js';
import { ArrayRecord, batchRecords, findDuplicateHeaders, type Row } from './records.js';
import type { TableSource } from './source.js';

type CellValue = ExcelJS.CellValue;

/** The text a CSV export of this cell would hold. */
export function cellText(v: CellValue): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (v instanceof Date) {
    const iso = v.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((r) => r.text).join('');
    if ('formula' in v || 'sharedFormula' in v) return cellText((v as { result?: CellValue }).result ?? null);
    if ('text' in v) return String((v as { text: unknown }).text);
    if ('error' in v) return String((v as { error: unknown }).error);
  }
  return String(v);
}

export async function readXlsx(path: string, sheet: string | undefined, decimalComma: boolean): Promise<TableSource> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { worksheets: 'emit', sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'cache', entries: 'ignore' });
  const names: string[] = [];
  let rows: AsyncIterator<ExcelJS.Row> | undefined;
  try {
    for await (const ws of reader as unknown as AsyncIterable<ExcelJS.Worksheet & AsyncIterable<ExcelJS.Row>>) {
      const wsName = (ws as unknown as { name?: string }).name ?? `Sheet${names.length + 1}`;
      names.push(wsName);
      if (sheet === undefined || wsName === sheet) {
        rows = ws[Symbol.asyncIterator]();
        break;
      }
    }
  } catch (err) {
    throw inputError('XLSX_UNREADABLE', `cannot read ${path} as an .xlsx workbook: ${(err as Error).message}`, { location: { file: path }, hint: 'is it a real .xlsx file (not .xls or .csv renamed)? save it again from your spreadsheet program' });
  }
  if (!rows) {
    throw inputError('XLSX_SHEET_NOT_FOUND', sheet === undefined ? `${path} has no worksheet` : `${path} has no worksheet "${sheet}"`, {
      location: { file: path },
      hint: names.length > 0 ? `its worksheets are ${names.map((n) => `"${n}"`).join(', ')}` : undefined,
    });
  }
  const it = rows;
  const next = async (): Promise<Row | undefined> => {
    for (;;) {
      const r = await it.next();
      if (r.done) return undefined;
      const values = (r.value.values as CellValue[]).slice(1).map(cellText);
      if (values.every((v) => v.trim() === '')) continue;
      return new ArrayRecord(values, r.value.number);
    }
  };
  const header = await next();
  if (!header) throw inputError('CSV_EMPTY', `${path}: the worksheet is empty`, { location: { file: path } });
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
  if (!first) throw inputError('CSV_NO_ROWS', `${path} has a header but no data rows`, { location: { file: path, line: header.line } });
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
    dialect: { format: 'xlsx', delimiter: '', encoding: 'xlsx', decimalComma },
    skipped: [],
  };
}
