/** What a reader sees of a Markdown document: rendered as GFM-like HTML by markdown-it (autolinks on), tags removed. */
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: true, linkify: true });

export const renderMarkdown = (text: string): string => md.render(text);

export function renderedText(text: string): string {
  return renderMarkdown(text).replace(/<[^>]*>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}
