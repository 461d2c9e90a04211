/** The committed sample is exactly what its seeded generator makes (fixtures/sample/generate.mjs --check). */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('fixtures/sample', () => {
  it('is reproduced byte for byte by the committed generator', () => {
    expect(() => execFileSync(process.execPath, ['fixtures/sample/generate.mjs', '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
