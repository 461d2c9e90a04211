/**
 * The catalogue: bundled definitions in instruments/<id>.json, plus user files named by path.
 * `-i` takes ids and paths alike; anything with a slash or ending in .json is a path.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inputError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { nearestNames } from './names.js';
import { readInstrumentFile } from './load.js';
import type { LoadedInstrument } from './types.js';

export const BUNDLED_DIR = pathToFileURL(`${join(PACKAGE_ROOT, 'instruments')}/`);

/**
 * Instruments people ask for that rapport does not bundle, and why. Shown by
 * `instruments show <id>` and when such an id is used with -i.
 */
export const NOT_BUNDLED: Record<string, { name: string; missing: string[]; supply: string }> = {
  crf: {
    name: 'Counselor Rating Form, 36 items (Barak & LaCrosse, 1975)',
    missing: [
      'which of the 36 bipolar adjective pairs belongs to expertness, attractiveness and trustworthiness: no source for the assignment was found',
      'which pairs are printed with the positive pole on the left (and so are reverse-keyed)',
    ],
    supply:
      'Write a definition with your form\'s item order: 36 items (responseScale 1–7), "reverse": true on the pairs whose positive pole is printed first, and three 12-item sum scales expertness, attractiveness and trustworthiness (12–84 each). Check it with `rapport instruments validate crf.json`, then score with `-i ./crf.json`. The 12-item short form is bundled as crf-s (provisional key).',
  },
};

/** True when a -i argument names a file rather than a bundled id. */
export const looksLikePath = (ref: string): boolean => ref.includes('/') || ref.includes('\\') || ref.toLowerCase().endsWith('.json');

export async function listBundledIds(): Promise<string[]> {
  const files = await readdir(BUNDLED_DIR);
  return files
    .filter((f) => f.endsWith('.json') && f !== 'instrument.schema.json')
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

export async function loadBundled(): Promise<LoadedInstrument[]> {
  const ids = await listBundledIds();
  return Promise.all(ids.map((id) => loadInstrument(id)));
}

/** Explains an id that is known but not bundled (exit 3 when it was asked for). */
export function notBundledError(id: string) {
  const info = NOT_BUNDLED[id]!;
  return inputError('INSTRUMENT_NOT_BUNDLED', `${id} (${info.name}) is not bundled: its scoring key could not be sourced`, {
    details: [...info.missing.map((m) => `missing: ${m}`), `to score it: ${info.supply}`],
  });
}

/** Loads a bundled instrument by id, or a definition file by path. */
export async function loadInstrument(ref: string): Promise<LoadedInstrument> {
  if (looksLikePath(ref)) return { instrument: await readInstrumentFile(ref), origin: { kind: 'file', file: ref } };
  const id = ref.trim().toLowerCase();
  const ids = await listBundledIds();
  if (!ids.includes(id)) {
    if (NOT_BUNDLED[id]) throw notBundledError(id);
    const near = nearestNames(id, ids);
    throw inputError('INSTRUMENT_UNKNOWN', `unknown instrument "${ref}"`, {
      hint: `${near.length > 0 ? `did you mean ${near.join(' or ')}? ` : ''}\`rapport instruments list\` shows the bundled ones; a path to a .json definition works too`,
    });
  }
  const file = fileURLToPath(new URL(`${id}.json`, BUNDLED_DIR));
  return { instrument: await readInstrumentFile(file), origin: { kind: 'bundled', file } };
}

/** Parses a comma-separated -i value and loads each; the same instrument twice is a usage error. */
export async function loadInstruments(refs: string): Promise<LoadedInstrument[]> {
  const parts = refs.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const loaded: LoadedInstrument[] = [];
  for (const part of parts) {
    const inst = await loadInstrument(part);
    if (loaded.some((l) => l.instrument.id === inst.instrument.id)) {
      throw inputError('INSTRUMENT_TWICE', `instrument "${inst.instrument.id}" is given twice in -i`, { hint: 'list each instrument once' });
    }
    loaded.push(inst);
  }
  return loaded;
}
