/**
 * Validation of instrument definitions: the JSON Schema (instruments/instrument.schema.json, checked
 * with Ajv) for shape, then the rules a schema cannot express (scales naming existing items, unique
 * ids, min < max, ...). Pure apart from reading the schema once. Every problem names its JSON path.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { normalizeLabel } from '../scoring/response.js';
import { type DefinitionProblem, type Instrument, RESERVED_SCALE_IDS } from './types.js';

export const SCHEMA_URL = new URL('../../instruments/instrument.schema.json', import.meta.url);

/** More problems than this in one file are summarised, so a hostile file cannot flood the terminal. */
export const MAX_PROBLEMS = 100;

let compiled: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object;
    compiled = new Ajv({ allErrors: true, strict: true }).compile(schema);
  }
  return compiled;
}

/** Objects whose keys are data (label values, scale ids), so a key "5" is not an array index. */
const KEYED_OBJECTS = new Set(['labels', 'norms']);

/** `$.items[3].id` from Ajv's `/items/3/id`; keys that are not identifiers are quoted (`labels["5"]`). */
export function jsonPath(pointer: string, extraKey?: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extraKey !== undefined) segments.push(extraKey);
  let out = '$';
  segments.forEach((seg, i) => {
    const isKey = i > 0 && KEYED_OBJECTS.has(segments[i - 1]!);
    if (/^\d+$/.test(seg) && !isKey) out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  });
  return out;
}

function schemaProblem(e: ErrorObject): DefinitionProblem {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { code: 'INSTRUMENT_MISSING_FIELD', path: jsonPath(e.instancePath, String(p.missingProperty)), message: `required field "${String(p.missingProperty)}" is missing` };
    case 'additionalProperties':
      return {
        code: 'INSTRUMENT_UNKNOWN_FIELD',
        path: jsonPath(e.instancePath, String(p.additionalProperty)),
        message: `unknown field "${String(p.additionalProperty)}" (check its spelling; unknown fields are refused so that a misspelt "reverse" cannot be ignored silently)`,
      };
    case 'propertyNames':
      return { code: 'INSTRUMENT_BAD_KEY', path: jsonPath(e.instancePath, String(p.propertyName)), message: `key "${String(p.propertyName)}" is not allowed here` };
    case 'enum':
      return { code: 'INSTRUMENT_BAD_VALUE', path: jsonPath(e.instancePath), message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'type':
      return { code: 'INSTRUMENT_WRONG_TYPE', path: jsonPath(e.instancePath), message: `must be ${String(p.type)}` };
    default:
      return { code: 'INSTRUMENT_SCHEMA', path: jsonPath(e.instancePath), message: e.message ?? `fails "${e.keyword}"` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Record<string, unknown>, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

/** Rules beyond the schema. Written defensively: it runs even when the shape is wrong, to report every problem at once. */
function semanticProblems(def: Record<string, unknown>): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const add = (code: string, path: string, message: string) => problems.push({ code, path, message });

  const rs = own(def, 'responseScale');
  let min: number | undefined;
  let max: number | undefined;
  let continuous = false;
  if (isObject(rs)) {
    const rmin = own(rs, 'min');
    const rmax = own(rs, 'max');
    continuous = own(rs, 'continuous') === true;
    if (typeof rmin === 'number' && typeof rmax === 'number') {
      if (rmin >= rmax) add('INSTRUMENT_SCALE_RANGE', '$.responseScale', `min (${rmin}) must be less than max (${rmax})`);
      else [min, max] = [rmin, rmax];
    }
    if (!continuous && typeof rmin === 'number' && !Number.isInteger(rmin)) add('INSTRUMENT_SCALE_RANGE', '$.responseScale.min', 'must be a whole number unless "continuous" is true');
    if (!continuous && typeof rmax === 'number' && !Number.isInteger(rmax)) add('INSTRUMENT_SCALE_RANGE', '$.responseScale.max', 'must be a whole number unless "continuous" is true');
    const labels = own(rs, 'labels');
    if (isObject(labels)) {
      const seen = new Map<string, string>();
      for (const [key, text] of Object.entries(labels)) {
        const path = jsonPath('/responseScale/labels', key);
        const value = Number(key);
        if (!/^-?\d{1,7}(\.\d{1,6})?$/.test(key)) continue; // reported by the schema
        if (min !== undefined && max !== undefined && (value < min || value > max)) add('INSTRUMENT_LABEL_OUT_OF_RANGE', path, `label value ${key} is outside the response scale ${min}–${max}`);
        if (!continuous && !Number.isInteger(value)) add('INSTRUMENT_LABEL_NOT_INTEGER', path, `label value ${key} is fractional but the scale is not continuous`);
        if (typeof text !== 'string') continue;
        const norm = normalizeLabel(text);
        if (/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(norm)) add('INSTRUMENT_LABEL_IS_NUMBER', path, `label "${text}" looks like a number; answers are read as numbers first, so it could never match`);
        const other = seen.get(norm);
        if (other !== undefined) add('INSTRUMENT_DUPLICATE_LABEL', path, `label "${text}" is the same as the label of ${other} (case and spaces are ignored when matching)`);
        else seen.set(norm, key);
      }
    }
  }

  const itemIds = new Set<string>();
  const items = own(def, 'items');
  if (Array.isArray(items)) {
    const columns = new Map<string, number>();
    items.forEach((item, i) => {
      if (!isObject(item)) return;
      const id = own(item, 'id');
      if (typeof id === 'string') {
        if (itemIds.has(id)) add('INSTRUMENT_DUPLICATE_ITEM_ID', `$.items[${i}].id`, `item id "${id}" is used more than once`);
        itemIds.add(id);
      }
      const column = own(item, 'column');
      if (typeof column === 'string') {
        const key = column.trim().toLowerCase();
        const first = columns.get(key);
        if (first !== undefined) add('INSTRUMENT_DUPLICATE_COLUMN', `$.items[${i}].column`, `column "${column}" is already read by $.items[${first}]`);
        else columns.set(key, i);
      }
    });
  }

  const scaleIds = new Set<string>();
  const scales = own(def, 'scales');
  if (Array.isArray(scales)) {
    scales.forEach((scale, i) => {
      if (!isObject(scale)) return;
      const id = own(scale, 'id');
      if (typeof id === 'string') {
        if (scaleIds.has(id)) add('INSTRUMENT_DUPLICATE_SCALE_ID', `$.scales[${i}].id`, `scale id "${id}" is used more than once`);
        if ((RESERVED_SCALE_IDS as readonly string[]).includes(id)) add('INSTRUMENT_RESERVED_SCALE_ID', `$.scales[${i}].id`, `scale id "${id}" is reserved for rapport's own output column <instrument>_${id}`);
        scaleIds.add(id);
      }
      const scaleItems = own(scale, 'items');
      if (!Array.isArray(scaleItems)) return;
      scaleItems.forEach((ref, j) => {
        if (typeof ref === 'string' && !itemIds.has(ref)) add('INSTRUMENT_UNKNOWN_ITEM', `$.scales[${i}].items[${j}]`, `scale "${String(id)}" names item "${ref}", which is not among the instrument's items`);
      });
      const maxMissing = own(scale, 'maxMissing');
      if (typeof maxMissing === 'number' && maxMissing >= scaleItems.length) {
        add('INSTRUMENT_MAX_MISSING', `$.scales[${i}].maxMissing`, `maxMissing (${maxMissing}) must be less than the scale's ${scaleItems.length} item(s), or a row with no answers would get a score`);
      }
    });
  }

  const norms = own(def, 'norms');
  if (isObject(norms)) {
    for (const key of Object.keys(norms)) {
      if (!scaleIds.has(key)) add('INSTRUMENT_NORM_UNKNOWN_SCALE', jsonPath('/norms', key), `norms are given for "${key}", which is not a scale of this instrument`);
    }
  }
  return problems;
}

/**
 * Every problem of a parsed definition, schema and semantic, in document order of discovery.
 * An empty array means the value is a valid Instrument.
 */
export function validateInstrument(value: unknown): DefinitionProblem[] {
  if (!isObject(value)) return [{ code: 'INSTRUMENT_WRONG_TYPE', path: '$', message: 'an instrument definition must be a JSON object' }];
  const validate = schemaValidator();
  const problems: DefinitionProblem[] = [];
  if (!validate(value)) problems.push(...(validate.errors ?? []).map(schemaProblem));
  problems.push(...semanticProblems(value));
  return problems;
}

export function isValidInstrument(value: unknown): value is Instrument {
  return validateInstrument(value).length === 0;
}
