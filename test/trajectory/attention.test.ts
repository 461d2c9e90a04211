/**
 * The attention list on small hand-made files, where each expectation can be worked out by hand:
 * risk items at the latest administration (PHQ-9 item 9, CORE-10 item 6, a reverse-keyed one),
 * a published reliable-change criterion in points (PHQ-9: 6 points exactly), dates and
 * --inactive-days, the order of the reasons, one row per client, and --by-therapist pages.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { listDir, tempDir } from '../helpers/tmp.js';

const PHQ = Array.from({ length: 9 }, (_, i) => `phq${i + 1}`);

/** PHQ-9 rows: [client, therapist, session, date, nine answers]. */
function phqFile(rows: Array<[string, string, number, string, number[]]>): string {
  const d = tempDir();
  const f = join(d, 'phq.csv');
  writeFileSync(f, `client_id,therapist_id,session,date,${PHQ.join(',')}\n${rows.map(([c, t, s, date, a]) => [c, t, s, date, ...a].join(',')).join('\n')}\n`);
  return f;
}

/** Answers summing to `total` with item 9 = `nine`. */
function answers(total: number, nine = 0): number[] {
  const a = new Array<number>(9).fill(0);
  a[8] = nine;
  let left = total - nine;
  for (let i = 0; i < 8 && left > 0; i++) {
    a[i] = Math.min(3, left);
    left -= a[i]!;
  }
  return a;
}

async function attention(file: string, extra: string[] = []) {
  const out = join(tempDir(), 't');
  const r = await runCli(['trajectories', file, '-i', 'phq-9', '-o', out, ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return { rows: readCsvObjects(join(out, 'attention.csv')), cohort: JSON.parse(readFileSync(join(out, 'cohort.json'), 'utf8')), stderr: r.stderr, out };
}

describe('risk items', () => {
  it('PHQ-9 item 9 ≥ 1 at the latest administration flags the client first, with item, value, session and date; an earlier one does not', async () => {
    const f = phqFile([
      ['A', 'T1', 1, '2025-01-06', answers(15, 0)],
      ['A', 'T1', 2, '2025-01-13', answers(14, 2)], // latest: item 9 = 2
      ['B', 'T1', 1, '2025-01-06', answers(15, 1)], // item 9 at intake only
      ['B', 'T1', 2, '2025-01-13', answers(14, 0)],
      ['C', 'T2', 1, '2025-01-06', answers(15, 0)],
      ['C', 'T2', 2, '2025-01-13', answers(22, 0)], // 7 points worse: reliable deterioration (criterion 6)
    ]);
    const { rows } = await attention(f);
    expect(rows.map((r) => [r.client_id, r.reasons])).toEqual([['A', 'critical_item'], ['C', 'reliable_deterioration']]);
    expect(rows[0]!.details).toContain('phq-9/total item 9 = 2 (≥ 1) at session 2 (2025-01-13): PHQ-9 item 9 endorsed');
    expect(rows[0]).toMatchObject({ last_session: '2', last_date: '2025-01-13', therapist_id: 'T1' });
  });

  it('a risk item answered on a row whose scale is incomplete still counts (the answer is there)', async () => {
    const a = answers(10, 3);
    const cells = a.map((v, i) => (i < 3 ? '' : String(v)));
    const d = tempDir();
    const f = join(d, 'x.csv');
    writeFileSync(f, `client_id,session,${PHQ.join(',')}\nA,1,${answers(12).join(',')}\nA,2,${cells.join(',')}\n`);
    const { rows } = await attention(f);
    expect(rows.map((r) => r.reasons)).toEqual(['critical_item']);
  });

  it('a reverse-keyed risk item is checked on the answer as given', async () => {
    const def = JSON.parse(readFileSync('instruments/phq-9.json', 'utf8'));
    def.id = 'phq-rev';
    def.items[8].reverse = true;
    const d = tempDir();
    writeFileSync(join(d, 'def.json'), JSON.stringify(def));
    writeFileSync(join(d, 'x.csv'), `client_id,session,${PHQ.join(',')}\nA,1,${answers(12).join(',')}\nA,2,${answers(12, 1).join(',')}\nB,1,${answers(12).join(',')}\nB,2,${answers(12, 0).join(',')}\n`);
    const out = join(d, 'o');
    expect((await runCli(['trajectories', join(d, 'x.csv'), '-i', join(d, 'def.json'), '-o', out])).code).toBe(0);
    expect(readCsvObjects(join(out, 'attention.csv')).map((r) => [r.client_id, r.reasons])).toEqual([['A', 'critical_item']]);
  });

  it('CORE-10 item 6 is a risk item; instruments show lists it', async () => {
    const show = await runCli(['instruments', 'show', 'core-10']);
    expect(show.stdout).toMatch(/risk items.*\n\s+item 6 ≥ 1: CORE-10 item 6 endorsed/);
    const d = tempDir();
    const cols = Array.from({ length: 10 }, (_, i) => `core${i + 1}`);
    const row = (six: number) => cols.map((_, i) => (i === 5 ? six : 2)).join(',');
    writeFileSync(join(d, 'c.csv'), `client_id,session,${cols.join(',')}\nA,1,${row(0)}\nA,2,${row(1)}\n`);
    const out = join(d, 'o');
    expect((await runCli(['trajectories', join(d, 'c.csv'), '-i', 'core-10', '-o', out])).code).toBe(0);
    expect(readCsvObjects(join(out, 'attention.csv'))[0]!.details).toMatch(/core-10\/total item 6 = 1 \(≥ 1\) at session 2/);
  });
});

describe('a published reliable-change criterion in points (PHQ-9: 6, NHS Talking Therapies)', () => {
  it('a rise of exactly 6 is reliable deterioration, of 5 is not; the RCI from alpha is not used', async () => {
    const f = phqFile([
      ['A', 'T1', 1, '2025-01-06', answers(10)],
      ['A', 'T1', 2, '2025-01-13', answers(16)],
      ['B', 'T1', 1, '2025-01-06', answers(10)],
      ['B', 'T1', 2, '2025-01-13', answers(15)],
      ['C', 'T1', 1, '2025-01-06', answers(16)],
      ['C', 'T1', 2, '2025-01-13', answers(10)],
    ]);
    const { rows, cohort, out } = await attention(f);
    expect(rows.map((r) => r.client_id)).toEqual(['A']);
    const t = readCsvObjects(join(out, 'trajectories.csv'));
    expect(t.map((c) => c.reliable_change)).toEqual(['deteriorated', 'no_reliable_change', 'improved']);
    expect(cohort.rci_reliability).toBeNull();
    expect(cohort.rci_reliability_source).toMatch(/a change of 6 points or more is reliable/);
  });
});

describe('dates', () => {
  it('last_date is the latest administration\'s; --inactive-days flags clients not seen in n days before the latest date in the file', async () => {
    const f = phqFile([
      ['A', 'T1', 1, '2025-01-06', answers(12)],
      ['A', 'T1', 2, '2025-01-13', answers(12)],
      ['B', 'T1', 1, '2025-02-24', answers(12)],
      ['B', 'T1', 2, '2025-03-03', answers(12)],
    ]);
    const { rows } = await attention(f, ['--inactive-days', '28']);
    // A was last seen on 13 January: 49 days before 3 March.
    expect(rows).toEqual([{ client_id: 'A', therapist_id: 'T1', last_session: '2', last_date: '2025-01-13', reasons: 'no_recent_session', details: 'last seen 2025-01-13, 49 days before the latest date in the file (2025-03-03)', clinical_range: 'phq-9/total 12 (≥ 10)' }]);
    expect((await attention(f)).rows).toEqual([]);
  });
  it('a date that is not YYYY-MM-DD is a problem on its line; the administration is kept', async () => {
    const f = phqFile([
      ['A', 'T1', 1, '06/01/2025', answers(12)],
      ['A', 'T1', 2, '2025-02-30', answers(12)],
    ]);
    const out = join(tempDir(), 'o');
    const r = await runCli(['trajectories', f, '-i', 'phq-9', '-o', out]);
    expect(r.code).toBe(0);
    expect(readCsvObjects(join(out, 'problems.csv')).map((p) => `${p.line}:${p.code}:${p.value}`)).toEqual(['2:DATE_INVALID:06/01/2025', '3:DATE_INVALID:2025-02-30']);
    expect(readCsvObjects(join(out, 'trajectories.csv'))[0]!.n_sessions).toBe('2');
  });
  it('--date names another column', async () => {
    const d = tempDir();
    writeFileSync(join(d, 'x.csv'), `client_id,session,visit,${PHQ.join(',')}\nA,1,2025-01-06,${answers(9).join(',')}\nA,2,2025-01-13,${answers(9, 1).join(',')}\n`);
    const out = join(d, 'o');
    expect((await runCli(['trajectories', join(d, 'x.csv'), '-i', 'phq-9', '-o', out, '--date', 'visit'])).code).toBe(0);
    expect(readCsvObjects(join(out, 'attention.csv'))[0]!.last_date).toBe('2025-01-13');
  });
});

describe('the report', () => {
  it('lists a client once across measures, reasons in order; --by-therapist writes a page per therapist with only their clients', async () => {
    const out = join(tempDir(), 'r');
    const r = await runCli(['report', 'fixtures/sample/sessions.csv', '-i', 'wai-sr,ors', '-o', out, '--by-therapist']);
    expect(r.code, r.stderr).toBe(0);
    const rows = readCsvObjects(join(out, 'attention.csv'));
    const order = ['critical_item', 'not_on_track', 'reliable_deterioration', 'unrepaired_rupture', 'no_recent_session'];
    for (const a of rows) {
      const reasons = a.reasons!.split(';');
      expect(reasons).toEqual([...reasons].sort((x, y) => order.indexOf(x) - order.indexOf(y)));
    }
    // Most urgent first: by the first reason.
    const first = rows.map((a) => order.indexOf(a.reasons!.split(';')[0]!));
    expect(first).toEqual([...first].sort((x, y) => x - y));
    const therapists = [...new Set(readCsvObjects('fixtures/sample/sessions.csv').map((x) => x.therapist_id!))].sort();
    expect(listDir(join(out, 'therapists'))).toEqual(therapists.flatMap((t) => [`${t}.html`, `${t}.md`]));
    const t04 = readFileSync(join(out, 'therapists', 'T04.md'), 'utf8');
    const mine = rows.filter((a) => a.therapist_id === 'T04').map((a) => a.client_id!);
    const others = rows.filter((a) => a.therapist_id !== 'T04').map((a) => a.client_id!);
    expect(mine.length).toBeGreaterThan(0);
    for (const c of mine) expect(t04).toContain(`| ${c} |`);
    for (const c of others) expect(t04).not.toContain(c);
    expect(t04).toContain('](../figures/clients/');
  });
});
