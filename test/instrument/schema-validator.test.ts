/**
 * The instrument schema's validator is compiled ahead of time (src/instrument/schema-validator.ts).
 * It must be the current schema's, and judge definitions exactly as Ajv compiling the schema now
 * would: same verdict, same errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import compiled from '../../src/instrument/schema-validator.js';
// @ts-expect-error: a plain JavaScript build script without type declarations
import { SCHEMA, TARGET, validatorModule } from '../../scripts/build-schema-validator.mjs';

const schemaText = readFileSync(SCHEMA, 'utf8');
const fresh = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(schemaText));
type Validator = ((data: unknown) => boolean) & { errors?: unknown };
const ahead = compiled as unknown as Validator;

function judge(v: Validator, data: unknown) {
  const ok = v(data);
  return { ok, errors: v.errors ?? null };
}

describe('the compiled instrument schema', () => {
  it('is generated from the current schema (run npm run generate after editing it)', () => {
    expect(readFileSync(TARGET, 'utf8')).toBe(validatorModule(schemaText));
  });

  const instruments = new URL('../../instruments/', import.meta.url);
  const bundled = readdirSync(instruments).filter((f) => f.endsWith('.json') && f !== 'instrument.schema.json');

  it('accepts every bundled instrument, as Ajv does', () => {
    for (const f of bundled) {
      const def = JSON.parse(readFileSync(new URL(f, instruments), 'utf8'));
      expect(judge(ahead, def)).toEqual(judge(fresh, def));
      expect(ahead(def)).toBe(true);
    }
  });

  it('gives the same errors as Ajv on damaged definitions', () => {
    const wai = JSON.parse(readFileSync(new URL('wai.json', instruments), 'utf8')) as Record<string, unknown>;
    const keys = Object.keys(wai);
    const junk = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string(), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...keys, 'extra'), junk), { minLength: 1, maxLength: 3 }), (edits) => {
        const def: Record<string, unknown> = structuredClone(wai);
        for (const [k, v] of edits) {
          if (v === undefined) delete def[k];
          else def[k] = v;
        }
        expect(judge(ahead, def)).toEqual(judge(fresh, def));
      }),
      { numRuns: 300 },
    );
  });
});
