/** The cell rules of docs/methods.md "How rapport scores a row", with hand-worked expectations. */
import { describe, expect, it } from 'vitest';
import { normalizeLabel } from '../../src/instrument/names.js';
import { buildResponseParser, parseResponse } from '../../src/scoring/response.js';
import { reverseKey } from '../../src/scoring/rules.js';

const likert = buildResponseParser({ min: 1, max: 5, labels: { '1': 'Seldom', '3': 'Fairly often', '5': 'Always' } });
const vas = buildResponseParser({ min: 0, max: 10, continuous: true });

describe('parseResponse', () => {
  it.each([
    ['3', 3],
    [' 4 ', 4],
    ['5.0', 5],
    ['+2', 2],
    ['03', 3],
    ['Always', 5],
    ['  always', 5],
    ['FAIRLY   OFTEN', 3],
    ['fairlyoften', 3],
    ['Fairly\toften', 3],
  ])('reads %j as %d', (raw, value) => {
    expect(parseResponse(raw, likert)).toEqual({ kind: 'value', value });
  });

  it.each(['', '   ', '\t'])('treats %j as missing', (raw) => {
    expect(parseResponse(raw, likert)).toEqual({ kind: 'missing' });
  });

  it.each([
    ['0', 'RESPONSE_OUT_OF_RANGE'],
    ['6', 'RESPONSE_OUT_OF_RANGE'],
    ['-1', 'RESPONSE_OUT_OF_RANGE'],
    ['2.5', 'RESPONSE_NOT_INTEGER'],
    ['NA', 'RESPONSE_NOT_NUMERIC'],
    ['n/a', 'RESPONSE_NOT_NUMERIC'],
    ['3a', 'RESPONSE_NOT_NUMERIC'],
    ['1e0', 'RESPONSE_NOT_NUMERIC'],
    ['0x3', 'RESPONSE_NOT_NUMERIC'],
    ['Infinity', 'RESPONSE_NOT_NUMERIC'],
    ['Never', 'RESPONSE_NOT_NUMERIC'],
  ])('reports %j as %s', (raw, code) => {
    expect(parseResponse(raw, likert)).toMatchObject({ kind: 'problem', code });
  });

  it('accepts fractions and the bounds on a continuous scale', () => {
    expect(parseResponse('7.25', vas)).toEqual({ kind: 'value', value: 7.25 });
    expect(parseResponse('0', vas)).toEqual({ kind: 'value', value: 0 });
    expect(parseResponse('10.0', vas)).toEqual({ kind: 'value', value: 10 });
    expect(parseResponse('10.01', vas)).toMatchObject({ code: 'RESPONSE_OUT_OF_RANGE' });
  });

  it('normalises labels by case and white space only', () => {
    expect(normalizeLabel(' Very  Often\n')).toBe('veryoften');
    expect(normalizeLabel('Très souvent')).toBe('trèssouvent');
  });
});

describe('reverseKey', () => {
  it('maps min <-> max on a 1–7 scale (8 − x)', () => {
    const s = { min: 1, max: 7 };
    expect([1, 2, 4, 7].map((x) => reverseKey(x, s))).toEqual([7, 6, 4, 1]);
  });
  it('maps 1–4 as 5 − x (CSQ-8 position coding)', () => {
    expect([1, 4].map((x) => reverseKey(x, { min: 1, max: 4 }))).toEqual([4, 1]);
  });
});
