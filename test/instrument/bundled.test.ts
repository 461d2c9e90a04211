/**
 * The bundled definitions against the scoring keys in the shared reference
 * (../shared/reference/instruments.md, §0 summary tables), typed in here separately from the JSON
 * files so that a slip in either shows up.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { listBundledIds, loadInstrument } from '../../src/instrument/catalogue.js';
import type { Instrument } from '../../src/instrument/types.js';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));
const ids = (xs: number[]) => xs.map(String);

interface Key {
  min: number;
  max: number;
  continuous?: boolean;
  scales: Record<string, number[]>;
  reverse: number[];
  method: 'sum' | 'mean';
  keyStatus: 'verified' | 'provisional';
  columns: (n: number) => string;
  /** Outcome measures: lower is better, their own missing-item rule, norms and risk items. */
  outcome?: { maxMissing: number; cutoff: number; reliableChange: number; critical: Array<[number, number]>; wording: boolean };
}

const wai36: Omit<Key, 'columns'> = {
  min: 1,
  max: 7,
  // §0.3: Task 2,4,7R,11R,13,15R,16,18,24,31R,33R,35; Bond 1R,5,8,17,19,20R,21,23,26,28,29R,36; Goal 3R,6,9R,10R,12R,14,22,25,27R,30,32,34R
  scales: {
    task: [2, 4, 7, 11, 13, 15, 16, 18, 24, 31, 33, 35],
    bond: [1, 5, 8, 17, 19, 20, 21, 23, 26, 28, 29, 36],
    goal: [3, 6, 9, 10, 12, 14, 22, 25, 27, 30, 32, 34],
  },
  reverse: [1, 3, 7, 9, 10, 11, 12, 15, 20, 27, 29, 31, 33, 34],
  method: 'sum',
  keyStatus: 'provisional',
};
const waiS: Omit<Key, 'columns'> = {
  min: 1,
  max: 7,
  scales: { task: [1, 2, 8, 12], bond: [3, 5, 7, 9], goal: [4, 6, 10, 11] }, // §0.2
  reverse: [4, 10],
  method: 'sum',
  keyStatus: 'provisional',
};

const KEYS: Record<string, Key> = {
  wai: { ...wai36, columns: (n) => `wai36_${n}` },
  'wai-therapist': { ...wai36, columns: (n) => `wai36t_${n}` },
  'wai-s': { ...waiS, columns: (n) => `wais${n}` },
  'wai-s-therapist': { ...waiS, columns: (n) => `waist${n}` },
  'wai-sr': {
    min: 1,
    max: 5,
    scales: { task: [1, 2, 10, 12], bond: [3, 5, 7, 9], goal: [4, 6, 8, 11] }, // §0.1
    reverse: [],
    method: 'sum',
    keyStatus: 'verified',
    columns: (n) => `wai${n}`,
  },
  'csq-8': { min: 1, max: 4, scales: { total: [1, 2, 3, 4, 5, 6, 7, 8] }, reverse: [], method: 'sum', keyStatus: 'verified', columns: (n) => `csq${n}` }, // §0.4, printed values
  seq: {
    min: 1,
    max: 7,
    // §0.5: Depth 3R,4,7R,8,9R; Smoothness 2,5R,6,10,11R; Positivity 12R,13,15,17R,18R; Arousal 14R,16,19,20R,21
    scales: { depth: [3, 4, 7, 8, 9], smoothness: [2, 5, 6, 10, 11], positivity: [12, 13, 15, 17, 18], arousal: [14, 16, 19, 20, 21] },
    reverse: [3, 5, 7, 9, 11, 12, 14, 17, 18, 20],
    method: 'mean',
    keyStatus: 'provisional',
    columns: (n) => `seq${n}`,
  },
  'crf-s': {
    min: 1,
    max: 7,
    scales: { attractiveness: [1, 4, 7, 10], expertness: [2, 5, 8, 11], trustworthiness: [3, 6, 9, 12] }, // §0.6 (order b)
    reverse: [],
    method: 'sum',
    keyStatus: 'provisional',
    columns: (n) => `crfs${n}`,
  },
  ors: { min: 0, max: 10, continuous: true, scales: { total: [1, 2, 3, 4] }, reverse: [], method: 'sum', keyStatus: 'verified', columns: (n) => `ors${n}` }, // §0.7
  srs: { min: 0, max: 10, continuous: true, scales: { total: [1, 2, 3, 4] }, reverse: [], method: 'sum', keyStatus: 'verified', columns: (n) => `srs${n}` },
  // docs/outcome-measures.md §0: PHQ-9 and GAD-7 (public domain, wording reproduced), CORE-10 (items 2, 3 reversed; wording not reproduced).
  'phq-9': { min: 0, max: 3, scales: { total: [1, 2, 3, 4, 5, 6, 7, 8, 9] }, reverse: [], method: 'sum', keyStatus: 'verified', columns: (n) => `phq${n}`, outcome: { maxMissing: 2, cutoff: 10, reliableChange: 6, critical: [[9, 1]], wording: true } },
  'gad-7': { min: 0, max: 3, scales: { total: [1, 2, 3, 4, 5, 6, 7] }, reverse: [], method: 'sum', keyStatus: 'verified', columns: (n) => `gad${n}`, outcome: { maxMissing: 0, cutoff: 8, reliableChange: 4, critical: [], wording: true } },
  'core-10': { min: 0, max: 4, scales: { total: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }, reverse: [2, 3], method: 'sum', keyStatus: 'verified', columns: (n) => `core${n}`, outcome: { maxMissing: 1, cutoff: 11, reliableChange: 6, critical: [[6, 1]], wording: false } },
};

const load = async (id: string): Promise<Instrument> => (await loadInstrument(id)).instrument;

describe('bundled catalogue', () => {
  it('bundles exactly the instruments the catalogue promises', async () => {
    expect(await listBundledIds()).toEqual(Object.keys(KEYS).sort());
    expect(readdirSync('instruments').filter((f) => f.endsWith('.json')).length).toBe(Object.keys(KEYS).length + 1);
  });

  describe.each(Object.entries(KEYS))('%s', (id, key) => {
    it('matches the reference key: items, columns, reverse keys, scales', async () => {
      const inst = await load(id);
      expect(inst.id).toBe(id);
      expect(inst.responseScale.min).toBe(key.min);
      expect(inst.responseScale.max).toBe(key.max);
      expect(inst.responseScale.continuous === true).toBe(key.continuous === true);
      expect(inst.higherIsBetter).toBe(key.outcome === undefined);
      const n = Math.max(...Object.values(key.scales).flat());
      expect(inst.items.map((i) => i.id)).toEqual(range(1, n));
      expect(inst.items.map((i) => i.column)).toEqual(range(1, n).map((i) => key.columns(Number(i))));
      expect(inst.items.filter((i) => i.reverse).map((i) => i.id)).toEqual(ids(key.reverse));
      for (const [scale, items] of Object.entries(key.scales)) {
        const s = inst.scales.find((x) => x.id === scale);
        expect(s, scale).toBeDefined();
        expect([...s!.items].sort((a, b) => Number(a) - Number(b))).toEqual(ids(items));
        expect(s!.method).toBe(key.method);
      }
    });

    it('has a total over every item, where the instrument has one', async () => {
      const inst = await load(id);
      const total = inst.scales.find((s) => s.id === 'total');
      if (id === 'seq') expect(total).toBeUndefined(); // Form 5 has four indexes and no total
      else expect([...total!.items].sort((a, b) => Number(a) - Number(b))).toEqual(range(1, inst.items.length));
    });

    it('records its provenance: citation, licence, key status and sources', async () => {
      const inst = await load(id);
      expect(inst.keyStatus).toBe(key.keyStatus);
      expect(inst.citation?.length).toBeGreaterThan(20);
      expect(inst.license?.length).toBeGreaterThan(20);
      expect(inst.sources?.length).toBeGreaterThan(0);
      expect(inst.notes?.some((n) => /missing/i.test(n))).toBe(true);
    });

    it('reproduces no copyrighted item wording (the public-domain PHQ-9 and GAD-7 may)', async () => {
      const inst = await load(id);
      if (key.outcome?.wording) expect(inst.items.every((i) => (i.text?.length ?? 0) > 10)).toBe(true);
      else expect(inst.items.every((i) => i.text === undefined)).toBe(true);
    });

    it('uses the documented missing-item rule: a quarter of a scale, rounded down (ORS/SRS: none; outcome measures: their manuals)', async () => {
      const inst = await load(id);
      for (const s of inst.scales) {
        expect(s.maxMissing ?? 0, s.id).toBe(key.outcome ? key.outcome.maxMissing : id === 'ors' || id === 'srs' ? 0 : Math.floor(s.items.length / 4));
      }
    });

    it.runIf(key.outcome !== undefined)('an outcome measure: lower is better, its cutoff, reliable change and risk items', async () => {
      const inst = await load(id);
      const o = key.outcome!;
      expect(inst.construct).toBe('outcome');
      expect(inst.norms?.total).toMatchObject({ cutoff: o.cutoff, cutoffIsClinical: true, reliableChange: o.reliableChange });
      expect((inst.critical ?? []).map((c) => [Number(c.item), c.threshold])).toEqual(o.critical);
    });
  });
});
