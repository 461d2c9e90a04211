/** Text renderings of instruments for `rapport instruments list|show`. Pure: they return strings. */
import type { Instrument, Scale } from '../instrument/types.js';
import { printable } from './format.js';

/** Fixed-width table; the last column is not padded. */
export function renderTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

/** The possible range of a scale's score, from the response scale and the method. */
export function scaleRange(inst: Instrument, scale: Scale): [number, number] {
  const { min, max } = inst.responseScale;
  return scale.method === 'mean' ? [min, max] : [min * scale.items.length, max * scale.items.length];
}

export function renderInstrumentList(instruments: readonly Instrument[]): string {
  return printable(renderTable(
    ['id', 'items', 'scales', 'key', 'name'],
    instruments.map((i) => [i.id, String(i.items.length), i.scales.map((s) => s.id).join(','), i.keyStatus ?? '-', i.name]),
  ));
}

export function instrumentSummaryJson(i: Instrument) {
  return {
    id: i.id,
    name: i.name,
    version: i.version ?? null,
    respondent: i.respondent ?? null,
    items: i.items.length,
    scales: i.scales.map((s) => s.id),
    keyStatus: i.keyStatus ?? null,
    responseScale: i.responseScale,
    citation: i.citation ?? null,
    license: i.license ?? null,
  };
}

const wrap = (text: string, indent: string, width = 96): string => {
  const words = text.split(/\s+/);
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && (indent + cur + ' ' + w).length > width) {
      lines.push(indent + cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(indent + cur);
  return lines.join('\n');
};

export function renderInstrumentDetail(inst: Instrument, origin: string): string {
  const out: string[] = [];
  const rs = inst.responseScale;
  out.push(`${inst.id} — ${inst.name}${inst.version ? ` (${inst.version})` : ''}`);
  out.push(`definition: ${origin}`);
  if (inst.respondent) out.push(`respondent: ${inst.respondent}`);
  out.push(`key status: ${inst.keyStatus ?? 'not stated'}${inst.keyStatus === 'provisional' ? ' — not verified in two independent sources; rapport warns when scoring with it' : ''}`);
  out.push(`higher is better: ${inst.higherIsBetter ? 'yes' : 'no'}`);
  const labels = Object.entries(rs.labels ?? {}).sort((a, b) => Number(a[0]) - Number(b[0])).map(([v, t]) => `${v} ${t}`).join(' · ');
  out.push(`response scale: ${rs.min}–${rs.max}${rs.continuous ? ', continuous' : ', whole points'}${labels ? ` (${labels})` : ''}`);
  if (inst.citation) out.push('', 'citation:', wrap(inst.citation, '  '));
  if (inst.license) out.push('', 'licence:', wrap(inst.license, '  '));
  out.push('', 'scales:');
  out.push(
    renderTable(
      ['id', 'method', 'range', 'max missing', 'items'],
      inst.scales.map((s) => {
        const [lo, hi] = scaleRange(inst, s);
        return [s.id, s.method, `${lo}–${hi}`, String(s.maxMissing ?? 0), s.items.map((id) => (inst.items.find((i) => i.id === id)?.reverse ? `${id}R` : id)).join(' ')];
      }),
    ).replace(/^/gm, '  ').trimEnd(),
  );
  out.push('', 'items:');
  out.push(
    renderTable(
      ['id', 'column', 'reverse', 'label'],
      inst.items.map((i) => [i.id, i.column, i.reverse ? 'yes' : '', i.label ?? i.text ?? (i.leftPole && i.rightPole ? `${i.leftPole} – ${i.rightPole}` : '')]),
    ).replace(/^/gm, '  ').trimEnd(),
  );
  const norms = Object.entries(inst.norms ?? {});
  if (norms.length > 0) {
    out.push('', 'norms:');
    for (const [scale, n] of norms) {
      const parts = (['reliability', 'mean', 'sd', 'cutoff', 'reliableChange'] as const).filter((k) => n[k] !== undefined).map((k) => (k === 'reliableChange' ? `reliable change ${n[k]} points` : `${k} ${n[k]}`));
      if (n.cutoff !== undefined) parts.push(`clinical when ${inst.higherIsBetter ? (n.cutoffIsClinical === false ? '<' : '≤') : n.cutoffIsClinical === false ? '>' : '≥'} ${n.cutoff}`);
      out.push(wrap(`  ${scale}: ${parts.join(', ')}`, '  '));
      if (n.bands) out.push(wrap(`    bands: ${n.bands.map((b, i) => `${b.label} ${b.min}${n.bands![i + 1] ? `–<${n.bands![i + 1]!.min}` : '+'}`).join(', ')}`, '    '));
      if (n.source) out.push(wrap(`    source: ${n.source}`, '    '));
    }
  }
  if (inst.critical && inst.critical.length > 0) {
    out.push('', 'risk items (flagged first when the latest answer is at or above the threshold):');
    for (const c of inst.critical) out.push(wrap(`  item ${c.item} ≥ ${c.threshold}: ${c.message}`, '    '));
  }
  if (inst.notes && inst.notes.length > 0) {
    out.push('', 'notes:');
    for (const n of inst.notes) out.push(wrap(`- ${n}`, '  '));
  }
  if (inst.sources && inst.sources.length > 0) {
    out.push('', 'sources:');
    for (const s of inst.sources) out.push(wrap(`- ${s}`, '  '));
  }
  return printable(`${out.join('\n')}\n`);
}
