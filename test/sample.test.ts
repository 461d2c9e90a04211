/** Committed fixtures are exactly what their generators make (--check). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('fixtures/sample', () => {
  it('is reproduced byte for byte by the committed generator', () => {
    expect(() => execFileSync(process.execPath, ['fixtures/sample/generate.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});

describe('fixtures/etr/sample_admins.csv (the input of the R references of the expected treatment response)', () => {
  it('is what rapport scores of the sample are (fixtures/etr/sample-admins.mjs --check)', () => {
    expect(() => execFileSync(process.execPath, ['fixtures/etr/sample-admins.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
