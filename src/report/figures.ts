/** rapport's figures as SVG text. Pure. File names are chosen by the caller, never from client ids. */
import { tQuantile } from '../stats/distributions.js';
import type { TrajectoryEvent } from '../trajectory/analyse.js';
import type { Observation, Points } from '../trajectory/series.js';
import { axes, band, type Box, escapeXml, frame, marker, type MarkerShape, niceTicks, polyline, svgDocument } from './svg.js';

const BOX: Box = { width: 640, height: 360, margin: { top: 36, right: 20, bottom: 56, left: 64 } };

/** A dashed horizontal reference line with its label. */
function cutoffLine(f: ReturnType<typeof frame>, cutoff: number | undefined, label: string): string {
  if (cutoff === undefined || cutoff < f.y.domain[0] || cutoff > f.y.domain[1]) return '';
  const y = f.y(cutoff).toFixed(1);
  return `<line x1="${f.inner.left}" x2="${f.inner.right}" y1="${y}" y2="${y}" stroke="#000" stroke-dasharray="6 4"/><text x="${f.inner.right - 4}" y="${Number(y) - 4}" font-size="10" text-anchor="end">${escapeXml(label)}</text>`;
}

/** Histogram of scale scores over all administrations. */
export function distributionFigure(scores: ArrayLike<number> & Iterable<number>, range: [number, number], label: string, title: string): string {
  const [lo, hi] = range;
  const step = niceTicks(0, hi - lo, 16)[1] ?? 1;
  const bins = Math.max(1, Math.ceil((hi - lo) / step));
  const counts = new Array<number>(bins).fill(0);
  for (const s of scores) counts[Math.min(bins - 1, Math.max(0, Math.floor((s - lo) / step)))]!++;
  const f = frame(BOX, [lo, lo + bins * step], [0, Math.max(1, ...counts) * 1.05]);
  const bars = counts
    .map((c, i) => {
      const x0 = f.x(lo + i * step);
      const x1 = f.x(lo + (i + 1) * step);
      const y = f.y(c);
      return `<rect x="${x0.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, x1 - x0 - 1).toFixed(1)}" height="${(f.inner.bottom - y).toFixed(1)}" fill="#777" stroke="#000" stroke-width="0.5"><title>${lo + i * step}–${lo + (i + 1) * step}: ${c}</title></rect>`;
    })
    .join('\n');
  const body = `<text x="${BOX.width / 2}" y="22" font-size="14" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>\n${axes(f, label, 'Administrations')}\n${bars}`;
  return svgDocument(BOX.width, BOX.height, title, `Histogram of ${scores.length} scores; bins of ${step} points from ${lo} to ${hi}.`, body);
}

export interface SessionMean {
  session: number;
  n: number;
  mean: number;
  lo: number;
  hi: number;
}

/** Mean per session with a t-based 95 % confidence interval; sessions with fewer than `minN` scores are left out. */
export function sessionMeans(points: Points, minN = 5): SessionMean[] {
  const by = new Map<number, number[]>();
  for (let k = 0; k < points.score.length; k++) {
    const s = points.session[k]!;
    (by.get(s) ?? by.set(s, []).get(s)!).push(points.score[k]!);
  }
  return [...by.entries()]
    .filter(([, xs]) => xs.length >= minN)
    .sort((a, b) => a[0] - b[0])
    .map(([session, xs]) => {
      const n = xs.length;
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
      const half = tQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
      return { session, n, mean, lo: mean - half, hi: mean + half };
    });
}

export function cohortFigure(points: readonly SessionMean[], range: [number, number], label: string, title: string, cutoff?: { value: number; label: string }): string {
  const sessions = points.map((p) => p.session);
  const f = frame(BOX, [Math.min(...sessions, 1), Math.max(...sessions, 2)], range);
  const body = [
    `<text x="${BOX.width / 2}" y="22" font-size="14" text-anchor="middle" font-weight="bold">${escapeXml(title)}</text>`,
    axes(f, 'Session', label),
    band(f, points.map((p) => [p.session, p.lo, p.hi])),
    polyline(f, points.map((p) => [p.session, p.mean])),
    ...points.map((p) => marker('circle', f.x(p.session), f.y(p.mean), 3, `session ${p.session}: mean ${p.mean.toFixed(2)} [${p.lo.toFixed(2)}, ${p.hi.toFixed(2)}], n = ${p.n}`)),
    cutoffLine(f, cutoff?.value, cutoff?.label ?? ''),
    `<text x="${f.inner.left + 6}" y="${f.inner.top + 12}" font-size="10">Line: mean; grey band: 95% CI; sessions with at least 5 scores</text>`,
  ].join('\n');
  return svgDocument(BOX.width, BOX.height, title, `Mean score per session with 95% confidence band over ${points.length} sessions.`, body);
}

/** One measure of a client's chart: the scores, the events, and the expected band where the measure has one. */
export interface MeasurePanel {
  label: string;
  range: [number, number];
  higherIsBetter: boolean;
  observations: readonly Observation[];
  events: readonly TrajectoryEvent[];
  /** Expected score and the band's limit on the worse side, at each session after intake. */
  expected?: ReadonlyArray<{ session: number; expected: number; limit: number }>;
  cutoff?: number;
}

const EVENT_MARKERS: Record<TrajectoryEvent['type'], { shape: MarkerShape; label: string }> = {
  rupture: { shape: 'down', label: 'rupture' },
  repair: { shape: 'circle', label: 'repair' },
  sudden_gain: { shape: 'up', label: 'sudden gain (pregain session)' },
  sudden_loss: { shape: 'diamond', label: 'sudden loss (preloss session)' },
  off_track: { shape: 'square', label: 'off track' },
};

/**
 * One client's chart: a panel per measure, scores over sessions, the expected band shaded (from the
 * expected score to its limit on the worse side) with the expected course dashed, off-track
 * sessions, ruptures, repairs and sudden changes marked by shape, the cutoff as a dotted line.
 */
export function clientFigure(client: string, panels: readonly MeasurePanel[], note: string): string {
  const pw = 300;
  const ph = 170;
  const width = 20 + panels.length * pw;
  const height = 36 + ph + 40;
  const box: Box = { width: pw, height: ph, margin: { top: 22, right: 12, bottom: 28, left: 40 } };
  const sessions = panels.flatMap((p) => [...p.observations.map((o) => o.session), ...(p.expected ?? []).map((e) => e.session)]);
  const xDomain: [number, number] = [Math.min(1, ...sessions), Math.max(2, ...sessions)];
  const parts: string[] = [`<text x="10" y="20" font-size="13" font-weight="bold">${escapeXml(client)}</text><text x="${width - 10}" y="20" font-size="10" text-anchor="end">${escapeXml(note)}</text>`];
  const used = new Set<TrajectoryEvent['type']>();
  panels.forEach((p, i) => {
    const f = frame(box, xDomain, p.range, { x: 10 + i * pw, y: 30 });
    parts.push(`<text x="${f.inner.left}" y="${f.inner.top - 6}" font-size="10" font-weight="bold">${escapeXml(p.label)}</text>`);
    parts.push(axes(f, '', '', { small: true }));
    if (p.expected && p.expected.length > 0) {
      const clip = (v: number) => Math.min(p.range[1], Math.max(p.range[0], v));
      parts.push(band(f, p.expected.map((e) => [e.session, clip(Math.min(e.expected, e.limit)), clip(Math.max(e.expected, e.limit))]), '#ccc'));
      parts.push(polyline(f, p.expected.map((e) => [e.session, clip(e.expected)]), 'stroke="#555" stroke-width="1" stroke-dasharray="4 3"'));
    }
    if (p.cutoff !== undefined && p.cutoff >= p.range[0] && p.cutoff <= p.range[1]) parts.push(`<line x1="${f.inner.left}" x2="${f.inner.right}" y1="${f.y(p.cutoff).toFixed(1)}" y2="${f.y(p.cutoff).toFixed(1)}" stroke="#000" stroke-dasharray="1 3" stroke-width="1"/>`);
    parts.push(polyline(f, p.observations.map((o) => [o.session, o.score]), 'stroke="#000" stroke-width="1.5"'));
    for (const o of p.observations) parts.push(`<circle cx="${f.x(o.session).toFixed(1)}" cy="${f.y(o.score).toFixed(1)}" r="1.8" fill="#000"><title>session ${o.session}: ${fmtScore(o.score)}</title></circle>`);
    for (const e of p.events) {
      const m = EVENT_MARKERS[e.type];
      used.add(e.type);
      const score = (e.type === 'sudden_gain' || e.type === 'sudden_loss') && e.before !== null ? e.before : e.after;
      const what = e.type === 'off_track' ? `off track at session ${e.session}: ${fmtScore(e.after)}, expected ${fmtScore(e.expected!)}` : `${m.label} at session ${e.session}`;
      parts.push(marker(m.shape, f.x(e.session), f.y(score), e.type === 'off_track' ? 3.5 : 5, what));
    }
  });
  let lx = 14;
  const ly = 36 + ph + 14;
  const legend: Array<[string, string]> = [];
  if (panels.some((p) => p.expected && p.expected.length > 0)) legend.push(['band', 'expected (dashed) and its band']);
  if (panels.some((p) => p.cutoff !== undefined)) legend.push(['cutoff', 'cutoff (dotted)']);
  for (const [kind, text] of legend) {
    parts.push(kind === 'band' ? `<rect x="${lx}" y="${ly - 6}" width="14" height="10" fill="#ccc"/>` : `<line x1="${lx}" x2="${lx + 14}" y1="${ly}" y2="${ly}" stroke="#000" stroke-dasharray="1 3"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly + 4}" font-size="10">${escapeXml(text)}</text>`);
    lx += 26 + text.length * 5.2;
  }
  for (const type of Object.keys(EVENT_MARKERS) as Array<TrajectoryEvent['type']>) {
    if (!used.has(type)) continue;
    const m = EVENT_MARKERS[type];
    parts.push(marker(m.shape, lx + 5, ly, 4));
    parts.push(`<text x="${lx + 13}" y="${ly + 4}" font-size="10">${escapeXml(m.label)}</text>`);
    lx += 24 + m.label.length * 5.2;
  }
  return svgDocument(width, height, `${client}: scores by session`, `Scores of ${client} by session${panels.some((p) => p.expected) ? ', with the expected course and its band' : ''}; events marked by shape.`, parts.join('\n'));
}

const fmtScore = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));
