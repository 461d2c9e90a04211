/**
 * The HTML report as a person sees it: opened in headless Chromium (Debian's `chromium`, installed by
 * .ci/run), every figure must be laid out at its drawn size and have ink in its screenshot. Locally,
 * without Chromium, the test is skipped with a note; under CI it must run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`Chromium is required under CI but was not found at ${CHROMIUM} (.ci/run installs it)`);
if (!available) console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Share of pixels that are not (near) white. */
function ink(png: Buffer): { width: number; height: number; inked: number } {
  const img = PNG.sync.read(png);
  let dark = 0;
  for (let i = 0; i < img.data.length; i += 4) if (img.data[i]! < 200 || img.data[i + 1]! < 200 || img.data[i + 2]! < 200) dark++;
  return { width: img.width, height: img.height, inked: dark / (img.width * img.height) };
}

describe.skipIf(!available)('report.html in headless Chromium', () => {
  it('renders every figure at its size, non-blank, and the page itself', async () => {
    const out = join(tempDir(), 'report');
    expect((await runCli(['report', 'fixtures/sample/sessions.csv', '-i', 'wai-sr,ors', '-o', out])).code).toBe(0);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(pathToFileURL(join(out, 'report.html')).href);
      const figures = await page.locator('figure svg').all();
      expect(figures).toHaveLength(4 + readFileSync(join(out, 'attention.csv'), 'utf8').trim().split('\n').length - 1);
      // Every figure's size; the pixels of the research figures and of the first clients' charts (all drawn by the same code).
      for (const [k, svg] of figures.entries()) {
        const drawn = await svg.evaluate((el) => ({ w: Number(el.getAttribute('width')), h: Number(el.getAttribute('height')), title: el.querySelector('title')?.textContent ?? '' }));
        const box = (await svg.boundingBox())!;
        // Laid out at the drawn size (the CSS only shrinks figures wider than the page), to the pixel.
        expect(Math.abs(box.width - Math.min(drawn.w, 1000))).toBeLessThan(3);
        expect(Math.abs(box.height / box.width - drawn.h / drawn.w)).toBeLessThan(0.01);
        if (k >= 5 && k < figures.length - 4) continue;
        const shot = ink(await svg.screenshot());
        expect(shot.width, drawn.title).toBeGreaterThan(300);
        expect(shot.inked, `${drawn.title}: ink`).toBeGreaterThan(0.01);
        expect(shot.inked, `${drawn.title}: not a black box`).toBeLessThan(0.6);
      }
      const full = ink(await page.screenshot({ fullPage: true }));
      expect(full.height).toBeGreaterThan(3000);
      expect(full.inked).toBeGreaterThan(0.02);
      expect(await page.locator('h2').allTextContents()).toEqual(expect.arrayContaining(['Data', 'Clients who need attention', 'Therapists', 'Methods']));
    } finally {
      await browser.close();
    }
  }, 120_000);
});
