/** The installed command as a shell runs it: bin/rapport.js over the compiled dist/ (npm test builds first). */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const rapport = (args: string[], input?: string) => spawnSync(process.execPath, ['bin/rapport.js', ...args], { encoding: 'utf8', input });

describe('bin/rapport.js', () => {
  it('runs --help and exits 0', () => {
    const r = rapport(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Usage: rapport');
  });
  it('passes the exit code to the shell', () => {
    expect(rapport(['score', 'fixtures/sample/sessions.csv', '-i', 'nope']).status).toBe(3);
    expect(rapport(['score', 'fixtures/sample/sessions.csv', '-i', 'wai-sr', '--strict']).status).toBe(1);
  });
  it('runs the statistics of the compiled build (the bundled @stdlib: quantiles, bootstrap draws)', () => {
    const t = rapport(['trajectories', 'fixtures/sample/sessions.csv', '-i', 'wai-sr', '--format', 'json', '-o', '-']);
    expect(t.stderr).not.toMatch(/internal error/);
    expect(t.status).toBe(0);
    const r = rapport(['reliability', 'fixtures/sample/sessions.csv', '-i', 'wai-sr', '--boot', '50', '--seed', '3']);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.status).toBe(0);
  });
  it('treats a closed pipe (| head) as success, without an error message', () => {
    const r = spawnSync('bash', ['-c', 'set -o pipefail; node bin/rapport.js score fixtures/sample/sessions.csv -i wai-sr,ors | head -n 2 >/dev/null'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/error/i);
  });
});
