/**
 * `rapport report` end to end on the sample: the files, the links in report.md, a self-contained
 * HTML, and numbers equal to what the score, reliability and trajectories commands give.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { renderedText } from '../helpers/markdown.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';

describe('report on the sample data', async () => {
  const parent = tempDir();
  const dir = join(parent, 'report');
  const r = await runCli(['report', SAMPLE, '-i', 'wai-sr,ors', '-o', dir]);

  it('writes every file, and nothing else is left next to it', () => {
    expect(r.code, r.stderr).toBe(0);
    expect(listDir(dir)).toEqual(['.rapport-manifest.json', 'attention.csv', 'cohort.json', 'events.csv', 'figures', 'items.csv', 'link.csv', 'problems.csv', 'reliability.csv', 'report.html', 'report.md', 'scores.csv', 'therapists.csv', 'trajectories.csv']);
    expect(listDir(join(dir, 'figures'))).toEqual(['clients', 'ors-total-by-session.svg', 'ors-total-distribution.svg', 'wai-sr-total-by-session.svg', 'wai-sr-total-distribution.svg']);
    // One chart per client who needs attention, named by the client id.
    expect(listDir(join(dir, 'figures', 'clients'))).toEqual(readCsvObjects(join(dir, 'attention.csv')).map((a) => `${a.client_id}.svg`).sort());
    expect(listDir(parent)).toEqual(['report']);
  });

  it('report.md links only to files that exist', () => {
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const links = [...md.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBe(4 + readCsvObjects(join(dir, 'attention.csv')).length);
    for (const l of links) expect(existsSync(join(dir, l)), l).toBe(true);
  });

  it('report.html is self-contained: figures inline, no external resources', () => {
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(4 + readCsvObjects(join(dir, 'attention.csv')).length);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/i);
    expect(html).not.toMatch(/\bsrc=|url\(/i);
  });

  it('has the sections a reader needs', () => {
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    const text = renderedText(md);
    const headings = ['## Clients who need attention', '### Their charts', '## For researchers', '## Data', '## Working Alliance Inventory', '### Reliability', '### Item statistics', '### Trajectories: wai-sr total', '## Therapists', '## Methods'];
    // In this order: what a clinician acts on first, the rest for researchers.
    expect(headings.map((h) => md.indexOf(h))).toEqual(headings.map((h) => md.indexOf(h)).sort((a, b) => a - b));
    for (const h of headings) expect(md).toContain(h);
    expect(text).toMatch(/administrations from 2025-01-07 to 2025-11-10\. Report made \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(text).toContain('DUPLICATE_SESSION');
    expect(text).toMatch(/Therapist ICC = 0\.121/);
    expect(text).toContain('Jacobson, N. S., & Truax, P. (1991)');
  });

  it('scores.csv is exactly what `rapport score` writes', async () => {
    const s = await runCli(['score', SAMPLE, '-i', 'wai-sr,ors']);
    expect(s.code, s.stderr).toBe(0);
    expect(readFileSync(join(dir, 'scores.csv'), 'utf8')).toBe(s.stdout);
  });

  it('reliability.csv and items.csv are exactly what `rapport reliability` writes', async () => {
    const d = tempDir();
    const rel = await runCli(['reliability', SAMPLE, '-i', 'wai-sr,ors', '--items-out', join(d, 'items.csv')]);
    expect(rel.code, rel.stderr).toBe(0);
    expect(readFileSync(join(dir, 'reliability.csv'), 'utf8')).toBe(rel.stdout);
    expect(readFileSync(join(dir, 'items.csv'), 'utf8')).toBe(readFileSync(join(d, 'items.csv'), 'utf8'));
  });

  it('trajectories, events, therapists and cohort equal `rapport trajectories` per instrument', async () => {
    const all = readCsvObjects(join(dir, 'trajectories.csv'));
    const events = readCsvObjects(join(dir, 'events.csv'));
    const therapists = readCsvObjects(join(dir, 'therapists.csv'));
    const cohort = JSON.parse(readFileSync(join(dir, 'cohort.json'), 'utf8'));
    for (const inst of ['wai-sr', 'ors']) {
      const out = join(tempDir(), 't');
      expect((await runCli(['trajectories', SAMPLE, '-i', inst, '-o', out])).code).toBe(0);
      const strip = (rows: Record<string, string>[]) => rows.filter((x) => x.instrument === inst).map(({ instrument, scale, ...rest }) => rest);
      const own = readCsvObjects(join(out, 'trajectories.csv'));
      expect(strip(all).map((x) => Object.fromEntries(Object.keys(own[0]!).map((k) => [k, x[k]])))).toEqual(own);
      expect(strip(events)).toEqual(readCsvObjects(join(out, 'events.csv')));
      expect(strip(therapists)).toEqual(readCsvObjects(join(out, 'therapists.csv')));
      const c = JSON.parse(readFileSync(join(out, 'cohort.json'), 'utf8'));
      expect(cohort[`${inst}/total`]).toEqual(c);
    }
  });

  it('lists every problem once, with its line', () => {
    const problems = readCsvObjects(join(dir, 'problems.csv'));
    expect(problems.map((p) => `${p.line}:${p.code}`)).toEqual(['884:RESPONSE_OUT_OF_RANGE', '1521:RESPONSE_NOT_NUMERIC', '1657:DUPLICATE_SESSION', '1658:DUPLICATE_SESSION', '2004:RESPONSE_OUT_OF_RANGE']);
  });

  it('the summary, the report and attention.csv give the same counts', () => {
    const rows = readCsvObjects(join(dir, 'attention.csv'));
    const has = (code: string) => rows.filter((a) => a.reasons!.split(';').includes(code)).length;
    expect(r.stderr).toContain(`${rows.length} client(s) need attention (${Math.round((100 * rows.length) / 300)} % of 300): ${has('not_on_track')} not on track, ${has('reliable_deterioration')} reliably deteriorated, ${has('unrepaired_rupture')} an unrepaired rupture`);
    const text = renderedText(readFileSync(join(dir, 'report.md'), 'utf8'));
    expect(text).toContain(`${rows.length} clients of 300 (${Math.round((100 * rows.length) / 300)} %) need attention: ${has('not_on_track')} not on track, ${has('reliable_deterioration')} reliable deterioration, ${has('unrepaired_rupture')} unrepaired rupture`);
    // One row per client, whatever the number of measures.
    expect(new Set(rows.map((a) => a.client_id)).size).toBe(rows.length);
  });

  it('prints a short summary on stderr, without colour when not a terminal', () => {
    expect(r.stderr).toMatch(/rapport report: 2510 rows, 300 clients, 25 therapists/);
    expect(r.stderr).toMatch(/client\(s\) need attention/);
    expect(r.stderr).toContain(`${dir}/report.html`);
    expect(r.stderr).not.toMatch(/\u001b\[/);
  });
});

describe('report folder safety', () => {
  it('a failed run leaves no report and no temporary folder', async () => {
    const parent = tempDir();
    const r = await runCli(['report', SAMPLE, '-i', 'wai-s', '-o', join(parent, 'out')]);
    expect(r.code).toBe(3);
    expect(readdirSync(parent)).toEqual([]);
  });
  it('replaces an earlier report in place, keeping the folder\'s mode', async () => {
    const parent = tempDir();
    const out = join(parent, 'out');
    expect((await runCli(['report', SAMPLE, '-i', 'ors', '-o', out])).code).toBe(0);
    chmodSync(out, 0o750);
    const second = await runCli(['report', SAMPLE, '-i', 'ors', '-o', out, '--rupture-method', 'stiles']);
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/^# rapport report/);
    expect(statSync(out).mode & 0o777).toBe(0o750);
    expect(readdirSync(parent)).toEqual(['out']);
  });
  it('reads standard input', async () => {
    const out = join(tempDir(), 'out');
    const r = await runCli(['report', '-', '-i', 'ors', '-o', out], { stdin: readFileSync(SAMPLE, 'utf8') });
    expect(r.code, r.stderr).toBe(0);
    expect(renderedText(readFileSync(join(out, 'report.md'), 'utf8'))).toContain('rapport report: <stdin>');
  });
});

describe('--pseudonymize', () => {
  const ids = new Set(readCsvObjects(SAMPLE).flatMap((r) => [r.client_id!, r.therapist_id!]));
  const build = async (salt: string) => {
    const out = join(tempDir(), 'out');
    const r = await runCli(['report', SAMPLE, '-i', 'wai-sr,ors', '-o', out, '--pseudonymize', '--salt', `${salt}-0123456789abcdef`, '--by-therapist']);
    expect(r.code, r.stderr).toBe(0);
    return out;
  };
  it('replaces every client and therapist id in every output, figures included', async () => {
    const out = await build('s3cret');
    const files = readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    expect(files.some((f) => f.includes('/therapists/T-'))).toBe(true);
    for (const f of files) {
      // File names too: client charts and therapist pages are named by their codes.
      const text = `${f.slice(out.length)}\n${readFileSync(f, 'utf8')}`;
      const leaked = [...text.matchAll(/\b[CT]\d{2,4}\b/g)].map((m) => m[0]).filter((x) => ids.has(x));
      expect(leaked, f).toEqual([]);
    }
    const scores = readCsvObjects(join(out, 'scores.csv'));
    expect(scores[0]!.client_id).toMatch(/^C-[0-9A-F]{12}$/);
    expect(scores[0]!.therapist_id).toMatch(/^T-[0-9A-F]{12}$/);
  });
  it('codes are stable for the same salt and differ for another', async () => {
    const a = readCsvObjects(join(await build('one'), 'trajectories.csv')).map((r) => r.client_id);
    const b = readCsvObjects(join(await build('one'), 'trajectories.csv')).map((r) => r.client_id);
    const c = readCsvObjects(join(await build('two'), 'trajectories.csv')).map((r) => r.client_id);
    expect(a).toEqual(b);
    expect(new Set(a).size).toBe(300); // 300 clients, each on two measures
    expect(c.filter((x) => a.includes(x))).toEqual([]);
  });
  it('refuses to run without a salt, or with a short one, and says how to make one (exit 2)', async () => {
    for (const extra of [[], ['--salt', ''], ['--salt', 'short']]) {
      const out = join(tempDir(), 'o');
      const r = await runCli(['report', SAMPLE, '-i', 'ors', '-o', out, '--pseudonymize', ...extra]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/\[SALT_(REQUIRED|TOO_SHORT)\]/);
      expect(r.stderr).toContain('openssl rand');
      expect(existsSync(out)).toBe(false);
    }
  });
  it('reads the salt from --salt-file', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'salt'), 'a-long-secret-from-a-file\n');
    const r = await runCli(['report', SAMPLE, '-i', 'ors', '-o', join(d, 'o'), '--pseudonymize', '--salt-file', join(d, 'salt')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readCsvObjects(join(d, 'o', 'scores.csv'))[0]!.client_id).toMatch(/^C-[0-9A-F]{12}$/);
  });
});

describe('terminal progress', () => {
  const big = (() => {
    const dir = tempDir();
    const text = readFileSync(SAMPLE, 'utf8');
    const [header, ...rows] = text.trimEnd().split('\n');
    // Eight copies with distinct client ids: about 1.3 MB.
    const copies = Array.from({ length: 8 }, (_, k) => rows.map((r) => r.replace(/^C(\d+)/, (_m, n) => `C${k}${n}`)).join('\n'));
    const f = join(dir, 'big.csv');
    writeFileSync(f, `${header}\n${copies.join('\n')}\n`);
    return f;
  })();
  it('shows a progress bar on a terminal for a long input', async () => {
    const r = await runCli(['report', big, '-i', 'ors', '-o', join(tempDir(), 'o')], { tty: true, env: { NO_COLOR: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/\r█+░*\s+\d+% reading/);
    expect(r.stderr).toMatch(/\r█{30}\s+100% reading/);
    expect(r.stderr).not.toMatch(/\u001b\[3\dm/); // NO_COLOR: no colour codes
  });
  it('shows none when stderr is not a terminal', async () => {
    const r = await runCli(['report', big, '-i', 'ors', '-o', join(tempDir(), 'o')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('\r');
  });
});
