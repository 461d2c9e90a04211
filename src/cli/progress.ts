/**
 * A progress bar on stderr for long inputs, only when stderr is a terminal; redrawn at most ten
 * times a second and cleared at the end. Plain (no colour) when NO_COLOR is set.
 */
import type { CliContext } from './context.js';

export interface Progress {
  phase(name: string): void;
  update(done: number, total: number): void;
  finish(): void;
}

const NONE: Progress = { phase() {}, update() {}, finish() {} };

export function createProgress(ctx: CliContext, totalBytes: number, minBytes = 1_000_000): Progress {
  if (!ctx.stderrIsTTY || ctx.quiet || totalBytes < minBytes) return NONE;
  let name = '';
  let last = 0;
  let done0 = 0;
  let drawn = false;
  const width = 30;
  const draw = (done: number, total: number) => {
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(frac * width);
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
    ctx.stderr.write(`\r${ctx.color.cyan(bar)} ${String(Math.round(frac * 100)).padStart(3)}% ${name}\u001b[K`);
    drawn = true;
  };
  return {
    phase(n) {
      name = n;
      draw(done0, totalBytes);
    },
    update(done, total) {
      done0 = done;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, total);
    },
    finish() {
      if (drawn) ctx.stderr.write('\r\u001b[K');
    },
  };
}
