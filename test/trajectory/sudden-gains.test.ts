/**
 * Sudden gains exactly as suddengains 0.7.2 decides them on its own example data
 * (fixtures/sudden-gains: create_bysg(sgdata, sg_crit1_cutoff = 7), defaults otherwise).
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCsvObjects } from '../helpers/csv.js';

describe('sudden gains: the suddengains reference', async () => {
  const r = await runCli([
    'trajectories', 'fixtures/sudden-gains/sgdata_long.csv', '--score-column', 'bdi', '--lower-is-better',
    '--client', 'id', '--sudden-gain-cutoff', '7', '--reliability', '0.9', '--format', 'json',
  ]);
  const json = JSON.parse(r.stdout) as { events: Array<Record<string, unknown>>; trajectories: Array<Record<string, unknown>> };
  const expected = readCsvObjects('fixtures/sudden-gains/expected_sudden_gains.csv');
  const data = readCsvObjects('fixtures/sudden-gains/sgdata_long.csv');
  const score = (id: string, session: number) => Number(data.find((d) => d.id === id && Number(d.session) === session)?.bdi);

  it('finds exactly the 24 gains, with pregain session, magnitude and reversal', () => {
    expect(r.code, r.stderr).toBe(0);
    const gains = json.events.filter((e) => e.type === 'sudden_gain').map((e) => `${e.client_id}/${e.session}/${e.magnitude}/${e.reversal}`);
    const want = expected.map((e) => `${e.id}/${e.pregain_session}/${e.magnitude}/${e.reversal}`);
    expect(gains.sort()).toEqual(want.sort());
  });

  it('reports the scores around each gain: before = score(N), after = score(N+1) = the package\'s post', () => {
    for (const e of expected) {
      const ev = json.events.find((x) => x.type === 'sudden_gain' && x.client_id === e.id && x.session === Number(e.pregain_session))!;
      expect(ev.score_before).toBe(score(e.id!, Number(e.pregain_session)));
      expect(ev.score_after).toBe(Number(e.post));
    }
  });

  it('counts gains per client in trajectories.csv', () => {
    const perClient = new Map<string, number>();
    for (const e of expected) perClient.set(e.id!, (perClient.get(e.id!) ?? 0) + 1);
    for (const t of json.trajectories) expect(t.n_sudden_gains, String(t.client_id)).toBe(perClient.get(String(t.client_id)) ?? 0);
  });
});
