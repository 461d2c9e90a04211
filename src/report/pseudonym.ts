/**
 * Pseudonymisation: client and therapist ids replaced by stable codes, HMAC-SHA256(salt, kind + id)
 * cut to 12 hex digits (48 bits). The same id and salt give the same code on every run, so weekly
 * reports line up; without the salt, codes cannot be traced back except by guessing ids and
 * salts, which is why a secret --salt is recommended. A collision between two ids is detected and refused.
 */
import { createHmac } from 'node:crypto';

export interface Pseudonymizer {
  code(kind: 'client' | 'therapist', id: string): string;
}

export function createPseudonymizer(salt: string): Pseudonymizer {
  const seen = new Map<string, string>();
  return {
    code(kind, id) {
      if (id === '') return '';
      const hex = createHmac('sha256', salt).update(`${kind}\u0000${id}`).digest('hex').slice(0, 12).toUpperCase();
      const code = `${kind === 'client' ? 'C' : 'T'}-${hex}`;
      const prior = seen.get(code);
      if (prior !== undefined && prior !== id) throw new Error(`pseudonym collision between two ${kind} ids; use another --salt`);
      seen.set(code, id);
      return code;
    },
  };
}
