/** What trajectories and report say and save about monitoring: the attention counts, the expected-response models. */
import type { AttentionEntry } from '../trajectory/attention.js';
import { attentionCounts } from '../trajectory/attention.js';
import { renderEtrModels } from '../trajectory/etr.js';
import type { TrajectoryReport } from '../trajectory/measure.js';
import { writeAll } from '../output/sink.js';
import { VERSION } from '../version.js';
import type { CliContext } from './context.js';

/** The attention list's counts, as attention.csv and the report give them. */
export function sayAttention(ctx: CliContext, attention: readonly AttentionEntry[], clients: number): void {
  const n = attentionCounts(attention);
  if (n.clients === 0) {
    ctx.say('  no client needs attention');
    return;
  }
  const parts = [
    [n.critical_item, 'a risk item'],
    [n.not_on_track, 'not on track'],
    [n.reliable_deterioration, 'reliably deteriorated'],
    [n.unrepaired_rupture, 'an unrepaired rupture'],
    [n.no_recent_session, 'no recent session'],
  ].filter(([k]) => (k as number) > 0).map(([k, what]) => `${k} ${what}`);
  const share = clients > 0 ? ` (${((100 * n.clients) / clients).toFixed(0)} % of ${clients})` : '';
  ctx.say(`  ${ctx.color.yellow(`${n.clients} client(s) need attention`)}${share}: ${parts.join(', ')}`);
}

/** --save-expected: the models fitted in this run (not those read with --expected), written atomically. */
export async function saveExpected(ctx: CliContext, path: string, reports: readonly TrajectoryReport[], input: string): Promise<void> {
  const models = reports.flatMap((r) => (r.result.cohort.etr?.model.source === 'fitted' ? [r.result.cohort.etr.model] : []));
  if (models.length === 0) {
    ctx.warn(`--save-expected: no expected-response model was fitted in this run (no outcome measure, too few clients, or a singular fit): ${path} was not written`);
    return;
  }
  await writeAll([[path, renderEtrModels(models, { version: VERSION, input }), '--save-expected']], ctx.stdout);
  ctx.say(`  expected-response model${models.length === 1 ? '' : 's'} of ${models.map((m) => m.measure).join(', ')} saved to ${path}`);
}
