/**
 * Scores fixtures/score/responses.csv with the bundled wai-s, wai-sr, ors and seq definitions and
 * compares every score, answered count and status with fixtures/score/expected.csv, which base R
 * computed independently from the scoring rules and the keys in the shared instruments reference:
 *   Rscript fixtures/score/expected.R   (R 4.2.2; see fixtures/score/README.md)
 * The rows cover reverse keys, prorating, labels in odd case/spacing, out-of-range values,
 * fractions, junk and blank instruments.
 */
import { describe, expect, it } from 'vitest';
import { readCsvObjects } from '../helpers/csv.js';
import { runCli } from '../helpers/cli.js';

const expected = readCsvObjects('fixtures/score/expected.csv');

describe('scores agree with the independent R reference (fixtures/score)', async () => {
  const result = await runCli(['score', 'fixtures/score/responses.csv', '-i', 'wai-s,wai-sr,ors,seq']);
  const actual = readCsvObjects(result.stdout, true);

  it('scores every row, in order', () => {
    expect(result.code).toBe(0);
    expect(actual.map((r) => r.id)).toEqual(expected.map((r) => r.id));
  });

  const columns = Object.keys(expected[0]!).filter((c) => c !== 'id');
  it.each(expected.map((row, i) => [row.id!, i] as const))('row %s', (_id, i) => {
    const want = expected[i]!;
    const got = actual[i]!;
    for (const col of columns) {
      const w = want[col]!;
      const g = got[col];
      expect(g, `${col}`).toBeDefined();
      if (w === '' || !/^-?[\d.]/.test(w)) expect(g, col).toBe(w);
      else expect(Number(g), col).toBeCloseTo(Number(w), 10);
    }
  });
});

describe('problem codes agree with the fixture table (fixtures/score/expected_problems.csv, from its README)', () => {
  it('reports exactly the expected invalid cells with their codes and file lines', async () => {
    const { tempDir } = await import('../helpers/tmp.js');
    const errorsPath = `${tempDir()}/problems.csv`;
    const result = await runCli(['score', 'fixtures/score/responses.csv', '-i', 'wai-s,wai-sr,ors,seq', '-o', '-', '--errors', errorsPath, '--no-escape-formulas']);
    expect(result.code).toBe(0);
    const ids = readCsvObjects('fixtures/score/responses.csv').map((r) => r.id!);
    // No field spans lines, so data row i sits on file line i + 2.
    const problems = readCsvObjects(errorsPath).map((p) => ({ id: ids[Number(p.line) - 2], column: p.column, value: p.value!.trim(), code: p.code }));
    const want = readCsvObjects('fixtures/score/expected_problems.csv');
    const key = (p: { id?: string; column?: string }) => `${p.id}/${p.column}`;
    expect(problems.map(key).sort()).toEqual(want.map(key).sort());
    for (const w of want) expect(problems.find((p) => key(p) === key(w))).toMatchObject({ value: w.value, code: w.code });
  });
});
