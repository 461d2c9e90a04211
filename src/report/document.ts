/**
 * One report, two renderings: a small document model rendered to Markdown (with figures linked as
 * files) and to self-contained HTML (figures inline, CSS inline). Pure.
 */
import { escapeXml } from './svg.js';

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: string; id?: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; head: string[]; rows: string[][]; align?: Array<'l' | 'r'>; caption?: string }
  | { kind: 'figure'; file: string; svg: string; caption: string }
  | { kind: 'warning'; text: string };

/**
 * Text as Markdown that renders as exactly that text and nothing else: ids, therapist ids,
 * instrument names, citations and licences come from files rapport does not control, so none of
 * them may become a link, an image, raw HTML, emphasis or a table cell break. Markdown's special
 * characters are backslash-escaped (CommonMark 0.31, §2.4), line breaks become spaces, and what
 * renderers turn into links by themselves is broken up: schemes (http:, javascript:), the dots of
 * host names (www.x.org, and bare ones such as evil.com, which markdown-it's linkify takes), and @.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
    .replace(/[\\`*_[\]<>|~&#!]/g, '\\$&')
    .replace(/\b(https?|ftp|mailto|file|javascript|data|vbscript)(?=:)/gi, '$1\\')
    .replace(/(?<=[\p{L}\p{N}])\.(?=\p{L})/gu, '\\.')
    .replace(/@/g, '\\@');
}

/** escapeMarkdown for text that starts a block (paragraph, list item): a leading -, + or = or "1." cannot start a list, a rule or a heading. */
const escapeBlock = (text: string): string => escapeMarkdown(text).replace(/^(\s*)([-+=]|\d+[.)])/, '$1\\$2');

const mdCell = escapeMarkdown;

export function renderMarkdownDocument(blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`${'#'.repeat(b.level)} ${escapeMarkdown(b.text)}`, '');
        break;
      case 'paragraph':
        out.push(escapeBlock(b.text), '');
        break;
      case 'list':
        out.push(...b.items.map((i) => `- ${escapeBlock(i)}`), '');
        break;
      case 'warning':
        out.push(`> **Warning:** ${escapeMarkdown(b.text)}`, '');
        break;
      case 'figure':
        // File names are made from instrument and scale ids, which validation keeps to [a-z0-9_-].
        out.push(`![${escapeMarkdown(b.caption)}](${b.file})`, '', `*${escapeMarkdown(b.caption)}*`, '');
        break;
      case 'table': {
        if (b.caption) out.push(`*${escapeMarkdown(b.caption)}*`, '');
        const align = b.head.map((_, i) => (b.align?.[i] === 'r' ? '---:' : '---'));
        out.push(`| ${b.head.map(mdCell).join(' | ')} |`, `|${align.join('|')}|`, ...b.rows.map((r) => `| ${r.map(mdCell).join(' | ')} |`), '');
        break;
      }
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

const CSS = `
body { font-family: Helvetica, Arial, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #111; line-height: 1.45; }
h1 { border-bottom: 2px solid #111; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #999; margin-top: 2em; }
table { border-collapse: collapse; margin: .8em 0 1.2em; font-size: .9em; }
th, td { border: 1px solid #bbb; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 1.6em; }
figure svg { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: .9em; color: #333; margin-top: .3em; }
.warning { border-left: 4px solid #000; background: #f3f3f3; padding: .4em .8em; margin: .8em 0; }
caption { caption-side: top; text-align: left; font-style: italic; padding-bottom: .3em; }
@media print { body { max-width: none; } figure { break-inside: avoid; } }
`;

export function renderHtmlDocument(title: string, blocks: readonly Block[]): string {
  const out: string[] = [];
  for (const b of blocks) {
    switch (b.kind) {
      case 'heading':
        out.push(`<h${b.level}${b.id ? ` id="${escapeXml(b.id)}"` : ''}>${escapeXml(b.text)}</h${b.level}>`);
        break;
      case 'paragraph':
        out.push(`<p>${escapeXml(b.text)}</p>`);
        break;
      case 'list':
        out.push(`<ul>${b.items.map((i) => `<li>${escapeXml(i)}</li>`).join('')}</ul>`);
        break;
      case 'warning':
        out.push(`<p class="warning"><strong>Warning:</strong> ${escapeXml(b.text)}</p>`);
        break;
      case 'figure':
        out.push(`<figure>${b.svg.replace(/^<\?xml[^>]*>\s*/, '')}<figcaption>${escapeXml(b.caption)}</figcaption></figure>`);
        break;
      case 'table': {
        const cls = (i: number) => (b.align?.[i] === 'r' ? ' class="r"' : '');
        out.push(
          `<table>${b.caption ? `<caption>${escapeXml(b.caption)}</caption>` : ''}<thead><tr>${b.head.map((h, i) => `<th${cls(i)}>${escapeXml(h)}</th>`).join('')}</tr></thead><tbody>${b.rows
            .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeXml(c)}</td>`).join('')}</tr>`)
            .join('')}</tbody></table>`,
        );
        break;
      }
    }
  }
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>${escapeXml(title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n${out.join('\n')}\n</body>\n</html>\n`;
}
