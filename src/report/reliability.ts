/**
 * Renderings of reliability results: CSV/JSON records with the contract's field names, and a
 * Markdown report a researcher can paste into a paper. Pure: everything returns strings or objects.
 */
import { ByteBuilder } from './bytes.js';
import { csvField, toCsv } from './csv.js';
import type { ReliabilityReport, ScaleReport } from '../reliability/report.js';
import { escapeMarkdown } from './document.js';
import type { MultilevelReliability } from '../reliability/multilevel.js';

export const SCALE_FIELDS = [
  'instrument', 'scale', 'n', 'k', 'alpha', 'alpha_std', 'g6', 'average_r', 'median_r', 'sn', 'alpha_se',
  'feldt_lo', 'feldt_hi', 'duhachek_lo', 'duhachek_hi', 'omega_total',
  'boot_alpha_lo', 'boot_alpha_hi', 'boot_omega_lo', 'boot_omega_hi', 'omega_n', 'boot_n', 'boot_seed', 'boot_unit',
  'clients', 'mean_rows_per_client', 'alpha_within', 'alpha_between', 'omega_within', 'omega_between',
] as const;

export const ITEM_FIELDS = [
  'instrument', 'scale', 'item', 'n', 'mean', 'sd', 'r_raw', 'r_std', 'r_cor', 'r_drop',
  'alpha_if_deleted', 'alpha_std_if_deleted', 'missing', 'column',
] as const;

/** Which omega rapport reports, in words (shown in JSON and Markdown). */
export const OMEGA_DESCRIPTION =
  'omega total (McDonald) from a one-factor (congeneric) model fitted by maximum likelihood to the covariance matrix (divisor N) of the complete cases: (Σλ)² / ((Σλ)² + Σθ), as lavaan::cfa(std.lv = TRUE) estimates';

type Value = string | number | null;
const COMMA = 0x2c;
const LF = 0x0a;
type RecordOut = Record<string, Value>;

const num = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x);

/** The name of the --by column in the tables; `group` if it would clash with a field name. */
export function groupField(by: string | undefined): string | undefined {
  if (by === undefined) return undefined;
  return (SCALE_FIELDS as readonly string[]).includes(by) || (ITEM_FIELDS as readonly string[]).includes(by) ? 'group' : by;
}

function withGroup(fields: readonly string[], by: string | undefined): string[] {
  const g = groupField(by);
  return g === undefined ? [...fields] : [fields[0]!, fields[1]!, g, ...fields.slice(2)];
}

export const scaleColumns = (by?: string): string[] => withGroup(SCALE_FIELDS, by);
export const itemColumns = (by?: string): string[] => withGroup(ITEM_FIELDS, by);

export function scaleRecord(s: ScaleReport, by?: string): RecordOut {
  const a = s.result.alpha;
  const b = s.result.bootstrap;
  const ml = s.result.multilevel;
  const rec: RecordOut = {
    instrument: s.instrument.id,
    scale: s.scaleId,
    n: a.n,
    k: a.k,
    alpha: num(a.raw),
    alpha_std: num(a.std),
    g6: num(a.g6),
    average_r: num(a.averageR),
    median_r: num(a.medianR),
    sn: num(a.sn),
    alpha_se: num(a.ase),
    feldt_lo: num(a.feldt[0]),
    feldt_hi: num(a.feldt[1]),
    duhachek_lo: num(a.raw - 1.96 * a.ase),
    duhachek_hi: num(a.raw + 1.96 * a.ase),
    omega_total: num(s.result.omega.omega),
    boot_alpha_lo: num(b?.alpha[0]),
    boot_alpha_hi: num(b?.alpha[1]),
    boot_omega_lo: num(b?.omega[0]),
    boot_omega_hi: num(b?.omega[1]),
    omega_n: s.result.omega.n,
    boot_n: b?.resamples ?? null,
    boot_seed: b?.seed ?? null,
    boot_unit: b?.unit ?? null,
    clients: ml?.clients ?? null,
    mean_rows_per_client: num(ml?.meanRowsPerClient),
    alpha_within: num(ml?.alphaWithin),
    alpha_between: num(ml?.alphaBetween),
    omega_within: num(ml?.omegaWithin),
    omega_between: num(ml?.omegaBetween),
  };
  const g = groupField(by);
  if (g !== undefined) rec[g] = s.group ?? '';
  return rec;
}

export function itemRecords(s: ScaleReport, by?: string): RecordOut[] {
  const g = groupField(by);
  return s.result.alpha.items.map((it, j) => {
    const rec: RecordOut = {
      instrument: s.instrument.id,
      scale: s.scaleId,
      item: s.itemIds[j]!,
      n: it.n,
      mean: num(it.mean),
      sd: num(it.sd),
      r_raw: num(it.rRaw),
      r_std: num(it.rStd),
      r_cor: num(it.rCor),
      r_drop: num(it.rDrop),
      alpha_if_deleted: num(it.alphaIfDeleted),
      alpha_std_if_deleted: num(it.alphaStdIfDeleted),
      missing: num(it.missing),
      column: s.itemColumns[j]!,
    };
    if (g !== undefined) rec[g] = s.group ?? '';
    return rec;
  });
}

export function renderRecordsCsv(records: readonly RecordOut[], columns: readonly string[], digits?: number, escapeFormulas = true): Buffer {
  return renderLedCsv([{ lead: {}, records }], columns, digits, escapeFormulas);
}

/**
 * One table from parts whose records all take the same values (`lead`, e.g. the measure) in some
 * columns, as CSV bytes: numbers as formatNumber writes them, text as csvField does (toCsv's text).
 * The lead is looked up, not spread into each record, and the cells are written straight into
 * bytes (50,000 clients' rows are a million cells).
 */
export function renderLedCsv(parts: ReadonlyArray<{ lead: RecordOut; records: readonly RecordOut[] }>, columns: readonly string[], digits?: number, escapeFormulas = true): Buffer {
  const out = new ByteBuilder();
  out.text(toCsv([columns], escapeFormulas));
  for (const { lead, records } of parts) {
    const fromLead = columns.map((c) => Object.hasOwn(lead, c));
    for (const r of records) {
      for (let i = 0; i < columns.length; i++) {
        if (i > 0) out.byte(COMMA);
        const c = columns[i]!;
        const v = fromLead[i] ? lead[c] : r[c];
        if (typeof v === 'number') out.number(v, digits);
        else if (typeof v === 'string' && v !== '') out.ascii(csvField(v, escapeFormulas));
      }
      out.byte(LF);
    }
  }
  return out.take();
}

export function renderReliabilityJson(report: ReliabilityReport, missing: string): string {
  const reliability = report.scales.map((s) => ({
    ...scaleRecord(s, report.by),
    items: itemRecords(s, report.by),
    ...(s.result.multilevel ? { multilevel: multilevelObject(s.result.multilevel) } : {}),
    warnings: s.result.warnings,
  }));
  const method = {
    missing, omega: OMEGA_DESCRIPTION, input: report.input, rows: report.rows, ...(report.by ? { by: report.by } : {}),
    ...(report.client ? { client: report.client, rows_without_client: report.rowsWithoutClient ?? 0, multilevel: MULTILEVEL_DESCRIPTION } : {}),
  };
  return `${JSON.stringify({ reliability, method }, null, 2)}\n`;
}

/** How the within- and between-client coefficients are computed, in words (JSON and Markdown). */
export const MULTILEVEL_DESCRIPTION =
  'alpha_within and alpha_between from the two-level saturated model (Σ_W, Σ_B) fitted by maximum likelihood to the complete rows, as lavaan::cfa(cluster = client) does: α_W = k/(k−1)·(1′Σ_W1 − tr Σ_W)/1′Σ_W1 and α_B = k/(k−1)·(1′Σ_B1 − tr Σ_B)/(1′Σ_B1 + 1′Σ_W1/ñ), ñ the harmonic mean of the rows per client (Lai, 2021, eqs. 25 and 24); omega_within and omega_between from a two-level one-factor model with its own loadings at each level: ω = ψ(Σλ)²/(ψ(Σλ)² + Σθ) per level (Geldhof, Preacher & Zyphur, 2014; Lai, 2021, eqs. 8 and 7)';

/** The two-level details of a scale, for JSON. */
function multilevelObject(m: MultilevelReliability): Record<string, unknown> {
  return {
    clients: m.clients,
    rows: m.rows,
    mean_rows_per_client: num(m.meanRowsPerClient),
    harmonic_rows_per_client: num(m.harmonicRowsPerClient),
    alpha_within: num(m.alphaWithin),
    alpha_between: num(m.alphaBetween),
    omega_within: num(m.omegaWithin),
    omega_between: num(m.omegaBetween),
    ...(m.reason ? { reason: m.reason } : {}),
    ...(m.saturated ? { saturated: { converged: m.saturated.converged, log_likelihood: m.saturated.logLikelihood, iterations: m.saturated.iterations, max_gradient: m.saturated.maxGradient, smallest_eigenvalue_between: m.saturated.smallestEigenvalueBetween } } : {}),
    ...(m.oneFactor ? { one_factor: { converged: m.oneFactor.converged, log_likelihood: m.oneFactor.logLikelihood, iterations: m.oneFactor.iterations, max_gradient: m.oneFactor.maxGradient, within: m.oneFactor.within, between: m.oneFactor.between } } : {}),
  };
}

/** APA style for coefficients bounded by 1: two decimals, no leading zero (.87, −.12). */
export function apa(x: number | null | undefined, digits = 2): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return x.toFixed(digits).replace(/^(-?)0\./, '$1.').replace(/^-/, '−');
}

const fixed = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

export function renderReliabilityMarkdown(report: ReliabilityReport, missing: string): string {
  const out: string[] = [`# Reliability: ${escapeMarkdown(report.input)}`, ''];
  const boot = report.scales.find((s) => s.result.bootstrap)?.result.bootstrap;
  const byHead = report.by ? ` | ${escapeMarkdown(report.by)}` : '';
  out.push(`| Instrument | Scale${byHead} | n | k | α | 95% CI (Feldt) | ω total${boot ? ' | α 95% CI (bootstrap) | ω 95% CI (bootstrap)' : ''} | mean r |`);
  out.push(`|---|---|${report.by ? '---|' : ''}---:|---:|---:|---|---:|${boot ? '---|---|' : ''}---:|`);
  for (const s of report.scales) {
    const a = s.result.alpha;
    const b = s.result.bootstrap;
    out.push(
      `| ${escapeMarkdown(s.instrument.id)} | ${escapeMarkdown(s.scaleId)}${report.by ? ` | ${escapeMarkdown(s.group ?? '')}` : ''} | ${a.n} | ${a.k} | ${apa(a.raw)} | [${apa(a.feldt[0])}, ${apa(a.feldt[1])}] | ${apa(s.result.omega.omega)}${
        boot ? ` | [${apa(b?.alpha[0])}, ${apa(b?.alpha[1])}] | [${apa(b?.omega[0])}, ${apa(b?.omega[1])}]` : ''
      } | ${apa(a.averageR)} |`,
    );
  }
  out.push('');
  const nested = report.scales.filter((s) => s.result.multilevel && s.result.multilevel.rows > s.result.multilevel.clients);
  if (nested.length > 0) {
    out.push(`## Within and between clients (${escapeMarkdown(report.client ?? 'client')})`, '');
    out.push(`| Instrument | Scale${byHead} | rows | clients | rows per client | α within | α between | ω within | ω between |`);
    out.push(`|---|---|${report.by ? '---|' : ''}---:|---:|---:|---:|---:|---:|---:|`);
    for (const s of nested) {
      const m = s.result.multilevel!;
      const flag = (code: string) => (s.result.warnings.some((w) => w.code === code) ? ' ⚠' : '');
      out.push(
        `| ${escapeMarkdown(s.instrument.id)} | ${escapeMarkdown(s.scaleId)}${report.by ? ` | ${escapeMarkdown(s.group ?? '')}` : ''} | ${m.rows} | ${m.clients} | ${fixed(m.meanRowsPerClient, 1)} | ${apa(m.alphaWithin)} | ${apa(m.alphaBetween)}${flag('BETWEEN_NOT_PSD')} | ${apa(m.omegaWithin)} | ${apa(m.omegaBetween)}${flag('MULTILEVEL_HEYWOOD')} |`,
      );
    }
    out.push('', escapeMarkdown(`Rows are nested in clients, so α and ω above pool session-to-session (within-client) and client-to-client (between-client) consistency, and the Feldt and Duhachek intervals, which take n = rows as independent, are too narrow. Within: how consistently the items move together from session to session within a client. Between: how reliably the items' client means rank clients. ⚠: see the scale's warnings below.`), '');
  }
  for (const s of report.scales) {
    const title = `${escapeMarkdown(s.instrument.id)} — ${escapeMarkdown(s.scaleId)}${report.by ? ` (${escapeMarkdown(report.by)} = ${escapeMarkdown(s.group ?? '')})` : ''}`;
    out.push(`## ${title}`, '');
    out.push('| Item | Column | n | M | SD | r (item–rest) | r (corrected) | α if deleted | missing |');
    out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
    s.result.alpha.items.forEach((it, j) => {
      const flag = it.rDrop < 0 ? ' ⚠' : it.dropped ? ' (no variance)' : '';
      out.push(
        `| ${escapeMarkdown(s.itemIds[j]!)}${flag} | ${escapeMarkdown(s.itemColumns[j]!)} | ${it.n} | ${fixed(it.mean)} | ${fixed(it.sd)} | ${apa(it.rDrop)} | ${apa(it.rCor)} | ${apa(it.alphaIfDeleted)} | ${(it.missing * 100).toFixed(1)}% |`,
      );
    });
    out.push('');
    for (const w of s.result.warnings) out.push(`> **Warning (${w.code}):** ${escapeMarkdown(w.message)}`, '');
  }
  out.push('## Method', '');
  out.push(
    escapeMarkdown(`Cronbach's α, standardised α, Guttman's λ6 (G6, from squared multiple correlations), the average and median inter-item correlation, the signal-to-noise ratio and the item statistics were computed as in psych::alpha (psych 2.2.9), from ${
      missing === 'pairwise' ? 'covariances of pairwise-complete observations' : 'the complete cases only (listwise deletion)'
    }, after reverse-keying items as min + max − x. Rows with no answer on a scale were left out of that scale. The 95% interval labelled Feldt follows Feldt, Woodruff and Salih (1987) with n = the number of rows; the standard error (alpha_se) is Duhachek and Iacobucci's (2004), giving the Duhachek interval α ± 1.96·SE. ω is ${OMEGA_DESCRIPTION}.${
      boot ? ` Bootstrap intervals are 2.5th and 97.5th percentiles of ${boot.resamples} resamples of ${boot.unit === 'clients' ? `clients (all the rows of each client drawn, since rows are nested in ${report.client})` : 'rows'} (seed ${boot.seed}).` : ''
    }${nested.length > 0 ? ` Within and between clients: ${MULTILEVEL_DESCRIPTION}.` : ''}`),
  );
  out.push('');
  out.push(`References: Cronbach (1951), Psychometrika 16, 297–334. Feldt, Woodruff & Salih (1987), Applied Psychological Measurement 11, 93–103. Duhachek & Iacobucci (2004), Journal of Applied Psychology 89, 792–808. McDonald (1999), Test Theory: A Unified Treatment. Revelle (2022), psych: Procedures for Psychological, Psychometric, and Personality Research, version 2.2.9.${nested.length > 0 ? ' Geldhof, Preacher & Zyphur (2014), Psychological Methods 19, 72–91. Lai (2021), Psychological Methods 26, 90–102. Rosseel (2012), Journal of Statistical Software 48(2) (lavaan 0.6.14).' : ''}`);
  return `${out.join('\n')}\n`;
}
