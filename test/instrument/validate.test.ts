/** Definition validation: every rule gives its code and JSON path; hostile JSON is refused without a crash. */
import { describe, expect, it } from 'vitest';
import { parseInstrument } from '../../src/instrument/load.js';
import { validateInstrument } from '../../src/instrument/validate.js';

const base = () => ({
  id: 'toy',
  name: 'Toy',
  responseScale: { min: 1, max: 5, labels: { '1': 'Never', '5': 'Always' } },
  higherIsBetter: true,
  items: [
    { id: '1', column: 'q1' },
    { id: '2', column: 'q2', reverse: true },
  ],
  scales: [{ id: 'total', name: 'Total', items: ['1', '2'], method: 'sum', maxMissing: 1 }],
});

const problemsOf = (mutate: (d: any) => void) => {
  const d: any = base();
  mutate(d);
  return validateInstrument(d).map((p) => [p.code, p.path]);
};

describe('validateInstrument', () => {
  it('accepts a minimal valid definition', () => {
    expect(validateInstrument(base())).toEqual([]);
  });

  it.each([
    ['min ≥ max', (d: any) => (d.responseScale.min = 5), 'INSTRUMENT_SCALE_RANGE', '$.responseScale'],
    ['scale names an unknown item', (d: any) => d.scales[0].items.push('3'), 'INSTRUMENT_UNKNOWN_ITEM', '$.scales[0].items[2]'],
    ['duplicate item id', (d: any) => d.items.push({ id: '2', column: 'q3' }), 'INSTRUMENT_DUPLICATE_ITEM_ID', '$.items[2].id'],
    ['duplicate column', (d: any) => d.items.push({ id: '3', column: ' Q1 ' }), 'INSTRUMENT_DUPLICATE_COLUMN', '$.items[2].column'],
    ['duplicate scale id', (d: any) => d.scales.push({ ...d.scales[0] }), 'INSTRUMENT_DUPLICATE_SCALE_ID', '$.scales[1].id'],
    ['reserved scale id', (d: any) => (d.scales[0].id = 'status'), 'INSTRUMENT_RESERVED_SCALE_ID', '$.scales[0].id'],
    ['maxMissing as large as the scale', (d: any) => (d.scales[0].maxMissing = 2), 'INSTRUMENT_MAX_MISSING', '$.scales[0].maxMissing'],
    ['label outside the scale', (d: any) => (d.responseScale.labels['7'] = 'Very'), 'INSTRUMENT_LABEL_OUT_OF_RANGE', '$.responseScale.labels["7"]'],
    ['fractional label on a whole-point scale', (d: any) => (d.responseScale.labels['2.5'] = 'Half'), 'INSTRUMENT_LABEL_NOT_INTEGER', '$.responseScale.labels["2.5"]'],
    ['two labels that match the same answer', (d: any) => (d.responseScale.labels['5'] = 'NEVER'), 'INSTRUMENT_DUPLICATE_LABEL', '$.responseScale.labels["5"]'],
    ['a label that is a number', (d: any) => (d.responseScale.labels['5'] = '1'), 'INSTRUMENT_LABEL_IS_NUMBER', '$.responseScale.labels["5"]'],
    ['norms for an unknown scale', (d: any) => (d.norms = { bond: { cutoff: 3 } }), 'INSTRUMENT_NORM_UNKNOWN_SCALE', '$.norms.bond'],
    ['a misspelt field', (d: any) => (d.items[1].reversed = true), 'INSTRUMENT_UNKNOWN_FIELD', '$.items[1].reversed'],
    ['a risk item that is not an item', (d: any) => (d.critical = [{ item: '9', threshold: 2, message: 'risk' }]), 'INSTRUMENT_UNKNOWN_ITEM', '$.critical[0].item'],
    ['a risk threshold at the lowest answer (every answer flagged)', (d: any) => (d.critical = [{ item: '1', threshold: d.responseScale.min, message: 'risk' }]), 'INSTRUMENT_CRITICAL_THRESHOLD', '$.critical[0].threshold'],
    ['a risk rule without a message', (d: any) => (d.critical = [{ item: '1', threshold: 2 }]), 'INSTRUMENT_MISSING_FIELD', '$.critical[0].message'],
    ['severity bands not lowest first', (d: any) => (d.norms = { [d.scales[0].id]: { bands: [{ min: 5, label: 'b' }, { min: 2, label: 'a' }] } }), 'INSTRUMENT_BANDS_ORDER', '$.norms.total.bands[1].min'],
    ['a reliable-change criterion of 0 points', (d: any) => (d.norms = { [d.scales[0].id]: { reliableChange: 0 } }), 'INSTRUMENT_SCHEMA', '$.norms.total.reliableChange'],
    ['a missing required field', (d: any) => delete d.higherIsBetter, 'INSTRUMENT_MISSING_FIELD', '$.higherIsBetter'],
    ['a wrong type', (d: any) => (d.items[0].reverse = 'yes'), 'INSTRUMENT_WRONG_TYPE', '$.items[0].reverse'],
    ['an unknown method', (d: any) => (d.scales[0].method = 'median'), 'INSTRUMENT_BAD_VALUE', '$.scales[0].method'],
    ['an id unusable in column names', (d: any) => (d.id = 'My Scale'), 'INSTRUMENT_SCHEMA', '$.id'],
  ])('%s', (_what, mutate, code, path) => {
    expect(problemsOf(mutate)).toContainEqual([code, path]);
  });

  it('reports every problem at once', () => {
    const p = problemsOf((d) => {
      d.responseScale.min = 9;
      d.scales[0].items.push('x');
      d.items.push({ id: '1', column: 'q9' });
    });
    expect(p.map(([c]) => c).sort()).toEqual(['INSTRUMENT_DUPLICATE_ITEM_ID', 'INSTRUMENT_SCALE_RANGE', 'INSTRUMENT_UNKNOWN_ITEM']);
  });
});

describe('hostile definitions are refused without a crash', () => {
  it('__proto__ keys', () => {
    const text = JSON.stringify(base()).replace('"id":"toy"', '"id":"toy","__proto__":{"polluted":true}');
    const r = parseInstrument(text);
    expect(r.ok).toBe(false);
    expect(({} as any).polluted).toBeUndefined();
    if (!r.ok) expect(r.problems.map((p) => p.code)).toContain('INSTRUMENT_UNKNOWN_FIELD');
  });
  it('__proto__ as a label key', () => {
    const r = parseInstrument(JSON.stringify(base()).replace('"1":"Never"', '"__proto__":"Never"'));
    expect(r.ok).toBe(false);
  });
  it('huge arrays', () => {
    const d: any = base();
    d.items = Array.from({ length: 200_000 }, (_, i) => ({ id: String(i), column: `q${i}` }));
    const r = parseInstrument(JSON.stringify(d));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.some((p) => p.path === '$.items')).toBe(true);
  });
  it('deep nesting', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = parseInstrument(JSON.stringify(base()).replace('"name":"Toy"', `"name":${deep}`));
    expect(r.ok).toBe(false);
  });
  it('absurd numbers', () => {
    const r = parseInstrument(JSON.stringify(base()).replace('"max":5', '"max":1e308'));
    expect(r.ok).toBe(false);
    const inf = parseInstrument(JSON.stringify(base()).replace('"max":5', '"max":1e999'));
    expect(inf.ok).toBe(false);
  });
  it('not JSON: reports line and column', () => {
    const r = parseInstrument('{\n  "id": "toy",\n  oops\n}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]).toMatchObject({ code: 'INSTRUMENT_JSON_SYNTAX', path: 'line 3, column 3' });
  });
  it('not an object', () => {
    expect(parseInstrument('[1,2]')).toMatchObject({ ok: false, problems: [{ code: 'INSTRUMENT_WRONG_TYPE', path: '$' }] });
  });
});
