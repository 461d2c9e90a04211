/**
 * A small SVG plotting kit for rapport's figures: linear scales with "nice" ticks, axes with labels,
 * lines, bands, bars and markers. Pure: every function returns SVG text. Figures are drawn in
 * greyscale-safe styles (dash patterns and marker shapes, not colour alone), with a title and a
 * description for screen readers.
 */

export interface Box {
  width: number;
  height: number;
  margin: { top: number; right: number; bottom: number; left: number };
}

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/\.?0+$/, ''));

/** Tick values covering [lo, hi] at a step of 1, 2 or 5 × 10^k (Heckbert, 1990, "Nice numbers for graph labels"). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (lo === hi) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toFixed(10)));
  return ticks;
}

export interface Scale {
  (v: number): number;
  domain: [number, number];
}

export function linear(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain[0] === domain[1] ? [domain[0] - 1, domain[1] + 1] : domain;
  const f = ((v: number) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0])) as Scale;
  f.domain = [d0, d1];
  return f;
}

export interface Frame {
  x: Scale;
  y: Scale;
  box: Box;
  inner: { left: number; right: number; top: number; bottom: number };
}

export function frame(box: Box, xDomain: [number, number], yDomain: [number, number], offset = { x: 0, y: 0 }): Frame {
  const inner = {
    left: offset.x + box.margin.left,
    right: offset.x + box.width - box.margin.right,
    top: offset.y + box.margin.top,
    bottom: offset.y + box.height - box.margin.bottom,
  };
  return { x: linear(xDomain, [inner.left, inner.right]), y: linear(yDomain, [inner.bottom, inner.top]), box, inner };
}

/** Both axes with ticks, tick labels, light grid lines and axis titles. */
export function axes(f: Frame, xLabel: string, yLabel: string, opts: { xTicks?: number[]; yTicks?: number[]; small?: boolean } = {}): string {
  const { inner } = f;
  const size = opts.small ? 9 : 11;
  const xt = opts.xTicks ?? niceTicks(f.x.domain[0], f.x.domain[1], opts.small ? 3 : 6);
  const yt = opts.yTicks ?? niceTicks(f.y.domain[0], f.y.domain[1], opts.small ? 3 : 5);
  const out: string[] = [];
  for (const t of yt) {
    const y = f.y(t);
    out.push(`<line x1="${inner.left}" x2="${inner.right}" y1="${y}" y2="${y}" stroke="#ddd" stroke-width="1"/>`);
    out.push(`<text x="${inner.left - 5}" y="${y + size / 3}" font-size="${size}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of xt) {
    const x = f.x(t);
    out.push(`<line x1="${x}" x2="${x}" y1="${inner.bottom}" y2="${inner.bottom + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${inner.bottom + 6 + size}" font-size="${size}" text-anchor="middle">${fmt(t)}</text>`);
  }
  out.push(`<line x1="${inner.left}" x2="${inner.right}" y1="${inner.bottom}" y2="${inner.bottom}" stroke="#333"/>`);
  out.push(`<line x1="${inner.left}" x2="${inner.left}" y1="${inner.top}" y2="${inner.bottom}" stroke="#333"/>`);
  if (xLabel) out.push(`<text x="${(inner.left + inner.right) / 2}" y="${inner.bottom + 2 * size + 12}" font-size="${size + 1}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  if (yLabel) {
    const cy = (inner.top + inner.bottom) / 2;
    const cx = inner.left - (opts.small ? 26 : 42);
    out.push(`<text x="${cx}" y="${cy}" font-size="${size + 1}" text-anchor="middle" transform="rotate(-90 ${cx} ${cy})">${escapeXml(yLabel)}</text>`);
  }
  return out.join('\n');
}

export function polyline(f: Frame, pts: ReadonlyArray<[number, number]>, style = 'stroke="#000" stroke-width="2"'): string {
  if (pts.length === 0) return '';
  return `<polyline fill="none" ${style} points="${pts.map(([a, b]) => `${f.x(a).toFixed(1)},${f.y(b).toFixed(1)}`).join(' ')}"/>`;
}

/** A filled band between lower and upper values. */
export function band(f: Frame, pts: ReadonlyArray<[number, number, number]>, fill = '#bbb'): string {
  if (pts.length === 0) return '';
  const top = pts.map(([x, , hi]) => `${f.x(x).toFixed(1)},${f.y(hi).toFixed(1)}`);
  const bottom = [...pts].reverse().map(([x, lo]) => `${f.x(x).toFixed(1)},${f.y(lo).toFixed(1)}`);
  return `<polygon fill="${fill}" fill-opacity="0.6" stroke="none" points="${[...top, ...bottom].join(' ')}"/>`;
}

export type MarkerShape = 'down' | 'up' | 'circle' | 'square' | 'diamond';

/** Marker shapes differ, so the figures read in greyscale. */
export function marker(shape: MarkerShape, cx: number, cy: number, r = 5, title?: string): string {
  const t = title ? `<title>${escapeXml(title)}</title>` : '';
  const c = (n: number) => n.toFixed(1);
  switch (shape) {
    case 'circle':
      return `<circle cx="${c(cx)}" cy="${c(cy)}" r="${r}" fill="#fff" stroke="#000" stroke-width="1.5">${t}</circle>`;
    case 'square':
      return `<rect x="${c(cx - r)}" y="${c(cy - r)}" width="${2 * r}" height="${2 * r}" fill="#000">${t}</rect>`;
    case 'diamond':
      return `<polygon points="${c(cx)},${c(cy - r)} ${c(cx + r)},${c(cy)} ${c(cx)},${c(cy + r)} ${c(cx - r)},${c(cy)}" fill="#777" stroke="#000">${t}</polygon>`;
    case 'up':
      return `<polygon points="${c(cx)},${c(cy - r)} ${c(cx + r)},${c(cy + r)} ${c(cx - r)},${c(cy + r)}" fill="#fff" stroke="#000" stroke-width="1.5">${t}</polygon>`;
    case 'down':
      return `<polygon points="${c(cx - r)},${c(cy - r)} ${c(cx + r)},${c(cy - r)} ${c(cx)},${c(cy + r)}" fill="#000">${t}</polygon>`;
  }
}

/** The SVG document with a title and description (read out by screen readers). */
export function svgDocument(width: number, height: number, title: string, description: string, body: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<desc>${escapeXml(description)}</desc>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}
