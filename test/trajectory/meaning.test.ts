/**
 * What a clinician reads must be true: ruptures and repairs are alliance events (never an outcome
 * measure's), and a reliability that is not usable for the RCI is never used silently.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';
import { renderedText } from '../helpers/markdown.js';
import { tempDir } from '../helpers/tmp.js';

const SAMPLE = 'fixtures/sample/sessions.csv';
const json = async (args: string[]) => {
  const r = await runCli([...args, '--format', 'json', '-o', '-']);
  expect(r.code, r.stderr).toBe(0);
  return { ...JSON.parse(r.stdout), stderr: r.stderr } as { cohort: Record<string, unknown> & { parameters: Record<string, unknown> }; trajectories: Array<Record<string, unknown>>; events: Array<{ type: string }>; therapists: Array<Record<string, unknown>>; stderr: string };
};

describe('ruptures are alliance events', () => {
  it('the ORS (an outcome measure) gets no ruptures, no rupture counts and no rupture columns filled', async () => {
    const ors = await json(['trajectories', SAMPLE, '-i', 'ors']);
    expect(ors.events.filter((e) => e.type === 'rupture' || e.type === 'repair')).toEqual([]);
    expect(ors.trajectories.every((t) => t.n_ruptures === null && t.n_repairs === null)).toBe(true);
    expect(ors.therapists.every((t) => t.ruptures === null && t.repairs === null)).toBe(true);
    expect(ors.cohort.parameters.rupture_method).toBeNull();
    expect(ors.cohort.rupture_sd_inter).toBeNull();
  });
  it('the WAI-SR (an alliance measure) still gets them', async () => {
    const wai = await json(['trajectories', SAMPLE, '-i', 'wai-sr']);
    expect(wai.events.some((e) => e.type === 'rupture')).toBe(true);
    expect(wai.cohort.parameters.rupture_method).toBe('gumz');
  });
  it('--rupture-method on an outcome measure is ignored with a warning that says why', async () => {
    const ors = await json(['trajectories', SAMPLE, '-i', 'ors', '--rupture-method', 'stiles']);
    expect(ors.events.filter((e) => e.type === 'rupture')).toEqual([]);
    expect(ors.stderr).toMatch(/ruptures are alliance events.*ors is a measure of outcome/);
  });
  it('an instrument without "construct": "alliance" gets none', async () => {
    const dir = tempDir();
    const def = JSON.parse(readFileSync('instruments/wai-sr.json', 'utf8'));
    def.id = 'wai-sr-copy';
    delete def.construct;
    writeFileSync(join(dir, 'copy.json'), JSON.stringify(def));
    const copy = await json(['trajectories', SAMPLE, '-i', join(dir, 'copy.json')]);
    expect(copy.events.filter((e) => e.type === 'rupture')).toEqual([]);
  });
  it('--score-column: only when asked with --ruptures', async () => {
    const base = ['trajectories', 'fixtures/trajectories/scored.csv', '--score-column', 'wai_sr_total', '--higher-is-better', '--reliability', '0.9'];
    expect((await json(base)).events.filter((e) => e.type === 'rupture')).toEqual([]);
    expect((await json([...base, '--ruptures'])).events.some((e) => e.type === 'rupture')).toBe(true);
  });
  it('the report marks no ruptures in ORS figures and has no rupture columns for its therapists', async () => {
    const out = join(tempDir(), 'r');
    expect((await runCli(['report', SAMPLE, '-i', 'wai-sr,ors', '-o', out])).code).toBe(0);
    const events = readCsvObjects(join(out, 'events.csv'));
    expect(events.filter((e) => e.instrument === 'ors' && e.type === 'rupture')).toEqual([]);
    expect(events.some((e) => e.instrument === 'wai-sr' && e.type === 'rupture')).toBe(true);
    // The clients' charts: ruptures and repairs are marked and explained only where an alliance measure is drawn.
    const charts = (dir: string) => readdirSync(join(dir, 'figures', 'clients')).map((f) => readFileSync(join(dir, 'figures', 'clients', f), 'utf8'));
    expect(charts(out).some((svg) => />rupture</.test(svg))).toBe(true);
    const orsOnly = join(tempDir(), 'o');
    expect((await runCli(['report', SAMPLE, '-i', 'ors', '-o', orsOnly])).code).toBe(0);
    expect(charts(orsOnly).length).toBeGreaterThan(10);
    for (const svg of charts(orsOnly)) expect(svg).not.toMatch(/rupture|repair/);
    const md = renderedText(readFileSync(join(out, 'report.md'), 'utf8'));
    const orsTherapists = md.slice(md.indexOf('ors total', md.indexOf('Therapists\n')));
    expect(orsTherapists.split('\n').find((l) => l.startsWith('Therapist'))).not.toContain('Ruptures');
  });
});

/** Three clients whose first ORS answers run against each other: alpha below zero. */
function threeClients(): string {
  const dir = tempDir();
  const rows = [
    'client_id,therapist_id,session,ors1,ors2,ors3,ors4',
    'A,T1,1,9,1,9,2', 'A,T1,2,8,2,8,3', 'A,T1,3,4,1,4,1',
    'B,T1,1,1,9,1,9', 'B,T1,2,2,9,2,9', 'B,T1,3,3,8,3,8',
    'C,T2,1,5,5,5,4', 'C,T2,2,6,6,6,6', 'C,T2,3,7,7,7,7',
  ];
  writeFileSync(join(dir, 'three.csv'), `${rows.join('\n')}\n`);
  return join(dir, 'three.csv');
}

describe('a reliability that is not usable is never used silently', () => {
  const three = threeClients();
  it('trajectories: alpha ≤ 0 at the first administrations stops with RELIABILITY_UNUSABLE and the hint --reliability', async () => {
    const r = await runCli(['trajectories', three, '-i', 'ors', '--format', 'json', '-o', '-']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('[RELIABILITY_UNUSABLE]');
    expect(r.stderr).toContain('--reliability');
    expect(r.stdout).toBe('');
    const given = await json(['trajectories', three, '-i', 'ors', '--reliability', '0.8']);
    expect(given.cohort.rci_reliability).toBe(0.8);
  });
  it('report: the RCI is left out for that measure, loudly (stderr, cohort.json, report), and no one is called reliably deteriorated', async () => {
    const out = join(tempDir(), 'r');
    const r = await runCli(['report', three, '-i', 'ors', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*reliable change was NOT computed/);
    const cohort = JSON.parse(readFileSync(join(out, 'cohort.json'), 'utf8'))['ors/total'];
    expect(cohort.rci_reliability).toBeNull();
    expect(cohort.rci_reliability_warning).toMatch(/not a usable reliability|cannot be computed/);
    expect(readCsvObjects(join(out, 'trajectories.csv')).map((t) => t.reliable_change)).toEqual(['', '', '']);
    const md = renderedText(readFileSync(join(out, 'report.md'), 'utf8'));
    expect(md).toMatch(/Warning: .*reliable change was NOT computed/);
    expect(md).not.toContain('reliable deterioration (RCI');
  });
  it('fewer than 30 clients: computed, with a loud warning in stderr, cohort.json and the report', async () => {
    const dir = tempDir();
    const lines = readFileSync(SAMPLE, 'utf8').trimEnd().split('\n');
    const ten = lines.filter((l, i) => i === 0 || Number(l.slice(1, 5)) <= 10);
    writeFileSync(join(dir, 'ten.csv'), `${ten.join('\n')}\n`);
    const out = join(dir, 'r');
    const r = await runCli(['report', join(dir, 'ten.csv'), '-i', 'ors', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*from only 10 clients/);
    const cohort = JSON.parse(readFileSync(join(out, 'cohort.json'), 'utf8'))['ors/total'];
    expect(cohort.rci_reliability).toBeGreaterThan(0);
    expect(cohort.rci_reliability_warning).toMatch(/only 10 clients/);
    expect(cohort.warnings.join(' ')).toMatch(/only 10 clients/);
    expect(renderedText(readFileSync(join(out, 'report.md'), 'utf8'))).toMatch(/Warning: .*only 10 clients/);
  });
});
