/** Temporary folders for tests: inside the suite's own temp folder (test/global-setup.ts), removed at the end. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'rapport-test-'));
export const listDir = (dir: string): string[] => readdirSync(dir).sort();
