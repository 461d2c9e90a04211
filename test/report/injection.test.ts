/**
 * Output that cannot be turned against its reader: client and therapist ids, instrument names,
 * citations and licences come from files rapport does not control. Rendered as a reader renders
 * them (report.md through a CommonMark/GFM renderer with raw HTML and autolinks on, report.html
 * and the SVGs in a browser's terms), none may become markup, a link or an image; on a terminal,
 * none may carry control sequences.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeMarkdown } from '../../src/report/document.js';
import { runCli } from '../helpers/cli.js';
import { renderMarkdown, renderedText } from '../helpers/markdown.js';
import { tempDir } from '../helpers/tmp.js';

const HOSTILE = [
  'evil.example',
  '<img src=x onerror=alert(1)>',
  '[click](javascript:alert(1))',
  '![](http://remote.example/track.png)',
  '<script>alert(2)</script>',
  'http://phish.example/login',
  'www.phish.example',
  'x@phish.example',
  '*bold* _em_ `code` | cell',
  '# heading',
  '- list',
];

/**
 * The tags of rendered HTML that rapport's own structure does not explain: any element outside
 * the document, table and SVG elements rapport writes, or any attribute but alignment, ids,
 * classes and SVG geometry. A link, image, script or event handler from the data shows up here.
 */
const ALLOWED_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'ul', 'li', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'caption', 'em', 'strong', 'blockquote', 'figure', 'figcaption', 'svg', 'g', 'text', 'line', 'rect', 'circle', 'path', 'polyline', 'polygon', 'desc', 'tspan']);
const ALLOWED_ATTRIBUTES = /^(style|id|class|lang|charset|name|content|xmlns|width|height|viewbox|role|aria-labelledby|x|y|x1|x2|y1|y2|cx|cy|r|d|points|fill|stroke|stroke-width|stroke-dasharray|opacity|fill-opacity|font-size|font-family|font-weight|text-anchor|transform|dominant-baseline|stroke-linecap|stroke-linejoin)$/i;
function unsafeTags(html: string): string[] {
  const bad: string[] = [];
  for (const m of html.matchAll(/<([a-zA-Z][\w-]*)((?:\s+[^\s=>]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    const tag = m[1]!.toLowerCase();
    const attrs = [...m[2]!.matchAll(/([^\s=]+)(?:="[^"]*")?/g)].map((a) => a[1]!);
    // rapport's own figures, linked from report.md by their relative file names.
    if (tag === 'img' && /^<img src="figures\/(clients\/)?[A-Za-z0-9._-]+\.svg" alt="[^"]*">$/.test(m[0])) continue;
    if (!ALLOWED_TAGS.has(tag) || attrs.some((a) => !ALLOWED_ATTRIBUTES.test(a))) bad.push(m[0]);
  }
  return bad;
}

function hostileInput(): { dir: string; data: string; definition: string } {
  const dir = tempDir();
  const sample = readFileSync('fixtures/sample/sessions.csv', 'utf8').trimEnd().split('\n');
  const header = sample[0]!;
  const rows = sample.slice(1);
  const clients = [...new Set(rows.map((r) => r.split(',')[0]!))];
  // Every client gets a hostile id (with its number, to keep ids distinct), so whichever are flagged show one.
  const rename = new Map(clients.map((c, i) => [c, `${HOSTILE[i % HOSTILE.length]!} ${i}`]));
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const body = rows.map((r) => {
    const [client, therapist, ...rest] = r.split(',');
    const t = therapist === 'T01' ? '<b onmouseover=alert(3)>T01</b>' : therapist!;
    return [quote(rename.get(client!)!), quote(t), ...rest].join(',');
  });
  writeFileSync(join(dir, 'data.csv'), `${header}\n${body.join('\n')}\n`);
  const def = JSON.parse(readFileSync('instruments/ors.json', 'utf8'));
  def.id = 'ors-hostile';
  def.name = 'ORS <img src=x onerror=alert(4)> [x](javascript:alert(5))';
  def.citation = '![](http://remote.example/c.png) <script>alert(6)</script>';
  def.license = '[licence](javascript:alert(7)) \u001b]0;pwned\u0007 \u001b[2J';
  writeFileSync(join(dir, 'hostile.json'), JSON.stringify(def));
  return { dir, data: join(dir, 'data.csv'), definition: join(dir, 'hostile.json') };
}

describe('a report of hostile ids and definition texts', async () => {
  const { dir, data, definition } = hostileInput();
  const out = join(dir, 'report');
  const r = await runCli(['report', data, '-i', `wai-sr,${definition}`, '-o', out]);

  it('is written', () => {
    expect(r.code, r.stderr).toBe(0);
  });
  it('report.md, rendered, holds no link, image, script or event handler, and shows every text as text', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(unsafeTags(renderMarkdown(md))).toEqual([]);
    const text = renderedText(md);
    expect(text).toMatch(/<img src=x onerror=alert\(1\)> \d+|\[click\]\(javascript:alert\(1\)\) \d+|!\[\]\(http:\/\/remote\.example\/track\.png\) \d+/);
    expect(text).toContain('ORS <img src=x onerror=alert(4)> [x](javascript:alert(5))');
    expect(text).toContain('<b onmouseover=alert(3)>T01</b>');
  });
  it('report.html and the figures hold no markup from the data', () => {
    expect(unsafeTags(readFileSync(join(out, 'report.html'), 'utf8'))).toEqual([]);
    const figures = readdirSync(join(out, 'figures'), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(figures.length).toBeGreaterThan(10);
    for (const f of figures) expect(unsafeTags(readFileSync(join(f.parentPath, f.name), 'utf8')), f.name).toEqual([]);
  });
  it('reliability --format md is escaped too', async () => {
    const rel = await runCli(['reliability', data, '-i', definition, '--format', 'md', '--by', 'therapist_id']);
    expect(rel.code).toBe(0);
    expect(unsafeTags(renderMarkdown(rel.stdout))).toEqual([]);
  });
  it('the terminal gets no control characters from definition text', async () => {
    const show = await runCli(['instruments', 'show', definition]);
    expect(show.code).toBe(0);
    expect(show.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(show.stdout).toContain(']0;pwned');
    for (const s of [show.stderr, r.stderr]) expect(s).not.toMatch(/\u001b\]|\u0007|\u001b\[2J/);
  });
});

describe('escapeMarkdown', () => {
  it('renders back to the same text, whatever the text', () => {
    const texts = [...HOSTILE, 'a\\b', '5 < 6 & 7 > 3', 'C-1A2B3C', '1. not a list', '+ not a list', 'a\nb', 'α = .87 [.85, .89]'];
    for (const t of texts) {
      expect(unsafeTags(renderMarkdown(`x ${escapeMarkdown(t)}`)), t).toEqual([]);
      expect(renderedText(`x ${escapeMarkdown(t)}`).trim(), t).toBe(`x ${t.replace(/\n/g, ' ')}`);
    }
  });
});
