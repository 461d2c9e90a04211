/**
 * Nelder–Mead minimisation (Nelder & Mead, 1965) with the standard coefficients (reflection 1,
 * expansion 2, contraction ½, shrink ½) and the ordering and tie rules of Lagarias, Reeds, Wright &
 * Wright (1998, SIAM J. Optim. 9, 112–147). Restarted from its best point until a restart no longer
 * improves it, the usual guard against a collapsed simplex. For the few smooth parameters of a
 * profiled likelihood (a mixed model's relative covariance factor); no npm package offers a
 * maintained minimiser for this (fmin 0.0.4 and optimization-js are unmaintained). Pure.
 */

export interface MinimizeOptions {
  /** Initial step along each coordinate (default 0.1, or 10 % of a non-zero start). */
  step?: number;
  /** Stop when the simplex's values differ by less than this, relative (default 1e-14) … */
  fTol?: number;
  /** … and its vertices by less than this, per coordinate (default 1e-10); … */
  xTol?: number;
  /** … or when the values differ by less than this, relative, wherever the vertices are: f is flat to its own rounding there (default 1e-13). */
  flatTol?: number;
  maxEvaluations?: number;
}

export interface MinimizeResult {
  x: number[];
  value: number;
  evaluations: number;
  converged: boolean;
}

function nelderMead(f: (x: readonly number[]) => number, start: readonly number[], opts: Required<MinimizeOptions>, budget: number): MinimizeResult {
  const n = start.length;
  let evaluations = 0;
  const eval_ = (x: number[]): number => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  const simplex: number[][] = [[...start]];
  for (let i = 0; i < n; i++) {
    const v = [...start];
    v[i] = v[i]! !== 0 ? v[i]! * (1 + opts.step) : opts.step;
    simplex.push(v);
  }
  let values = simplex.map(eval_);
  let converged = false;
  while (evaluations < budget) {
    // Order: best first; ties keep the older vertex first (Lagarias et al., rule 1).
    const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map(([, i]) => i);
    const s = order.map((i) => simplex[i]!);
    const fv = order.map((i) => values[i]!);
    simplex.splice(0, simplex.length, ...s);
    values = fv;
    const best = values[0]!;
    const worst = values[n]!;
    let spread = 0;
    for (let i = 1; i <= n; i++) for (let j = 0; j < n; j++) spread = Math.max(spread, Math.abs(simplex[i]![j]! - simplex[0]![j]!));
    const scale = Math.max(1, Math.abs(best));
    if ((Math.abs(worst - best) <= opts.fTol * scale && spread <= opts.xTol) || Math.abs(worst - best) <= opts.flatTol * scale) {
      converged = true;
      break;
    }
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) centroid[j]! += simplex[i]![j]! / n;
    const along = (t: number) => centroid.map((c, j) => c + t * (simplex[n]![j]! - c));
    const xr = along(-1);
    const fr = eval_(xr);
    if (fr < values[0]!) {
      const xe = along(-2);
      const fe = eval_(xe);
      if (fe < fr) [simplex[n], values[n]] = [xe, fe];
      else [simplex[n], values[n]] = [xr, fr];
      continue;
    }
    if (fr < values[n - 1]!) {
      [simplex[n], values[n]] = [xr, fr];
      continue;
    }
    // Contraction: outside when the reflection improved on the worst, else inside.
    const outside = fr < values[n]!;
    const xc = along(outside ? -0.5 : 0.5);
    const fc = eval_(xc);
    if (outside ? fc <= fr : fc < values[n]!) {
      [simplex[n], values[n]] = [xc, fc];
      continue;
    }
    // Shrink towards the best vertex.
    for (let i = 1; i <= n; i++) {
      simplex[i] = simplex[i]!.map((x, j) => simplex[0]![j]! + 0.5 * (x - simplex[0]![j]!));
      values[i] = eval_(simplex[i]!);
    }
  }
  let b = 0;
  for (let i = 1; i <= n; i++) if (values[i]! < values[b]!) b = i;
  return { x: simplex[b]!, value: values[b]!, evaluations, converged };
}

/** The minimum of f near `start`: Nelder–Mead, restarted from its best point until it stops improving. */
export function minimize(f: (x: readonly number[]) => number, start: readonly number[], options: MinimizeOptions = {}): MinimizeResult {
  const opts: Required<MinimizeOptions> = { step: 0.1, fTol: 1e-14, xTol: 1e-10, flatTol: 1e-13, maxEvaluations: 4000, ...options };
  let result = nelderMead(f, start, opts, opts.maxEvaluations);
  let evaluations = result.evaluations;
  for (let restart = 0; restart < 10 && evaluations < opts.maxEvaluations; restart++) {
    const again = nelderMead(f, result.x, { ...opts, step: Math.max(opts.xTol * 100, 1e-4) }, opts.maxEvaluations - evaluations);
    evaluations += again.evaluations;
    const better = again.value < result.value - opts.fTol * Math.max(1, Math.abs(result.value));
    if (again.value <= result.value) result = again;
    if (!better) break;
  }
  return { ...result, evaluations };
}


export interface GradientMinimizeOptions {
  /** Stop when every |gradient| is at most this (default 1e-10). */
  gTol?: number;
  maxIterations?: number;
  /** The largest change of any coordinate in one step (default: unbounded); keeps a step from leaving the basin it starts in. */
  maxStep?: number;
  /** H₀, the starting inverse Hessian (default: the identity, scaled after the first step). */
  inverseHessian?: number[][];
}

export interface GradientMinimizeResult {
  x: number[];
  value: number;
  /** The largest |gradient| at x. */
  maxGradient: number;
  iterations: number;
  evaluations: number;
  /** The gradient criterion was met, or f stopped changing (to its rounding) with a small gradient. */
  converged: boolean;
}

/** f and its gradient at x; a value of Infinity (or NaN) marks a point outside f's domain. */
export type ValueAndGradient = (x: readonly number[]) => { value: number; gradient: number[] };

const dot = (a: readonly number[], b: readonly number[]): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const maxAbs = (a: readonly number[]): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * A step length along p that meets the strong Wolfe conditions (c1 = 1e-4, c2 = 0.9): Nocedal &
 * Wright (2006), Numerical Optimization, 2nd ed., Algorithms 3.5 and 3.6, with the minimiser of the
 * interpolating cubic (their eq. 3.59) in zoom, bisection when it falls outside the bracket, and a
 * step that leaves f's domain halved.
 */
function wolfeStep(fg: ValueAndGradient, x: readonly number[], f0: number, g0: readonly number[], p: readonly number[], count: () => void, maxStep: number) {
  const c1 = 1e-4;
  const c2 = 0.9;
  const d0 = dot(g0, p);
  const at = (a: number) => {
    count();
    const xa = x.map((v, i) => v + a * p[i]!);
    const r = fg(xa);
    const value = Number.isFinite(r.value) ? r.value : Number.POSITIVE_INFINITY;
    return { a, x: xa, value, gradient: r.gradient, slope: Number.isFinite(value) ? dot(r.gradient, p) : Number.NaN };
  };
  type Point = ReturnType<typeof at>;
  const cubic = (lo: Point | { a: number; value: number; slope: number }, hi: Point | { a: number; value: number; slope: number }) => {
    const d1 = lo.slope + hi.slope - 3 * (lo.value - hi.value) / (lo.a - hi.a);
    const disc = d1 * d1 - lo.slope * hi.slope;
    if (!(disc >= 0)) return Number.NaN;
    const d2 = Math.sign(hi.a - lo.a) * Math.sqrt(disc);
    return hi.a - (hi.a - lo.a) * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2 * d2);
  };
  const zoom = (lo: { a: number; value: number; slope: number; x?: number[]; gradient?: number[] }, hi: { a: number; value: number; slope: number }): Point | undefined => {
    for (let i = 0; i < 60; i++) {
      let a = Number.isFinite(hi.value) && Number.isFinite(hi.slope) ? cubic(lo, hi) : Number.NaN;
      const left = Math.min(lo.a, hi.a);
      const right = Math.max(lo.a, hi.a);
      const margin = 0.1 * (right - left);
      if (!(a > left + margin && a < right - margin)) a = (lo.a + hi.a) / 2;
      const pt = at(a);
      if (!Number.isFinite(pt.value) || pt.value > f0 + c1 * a * d0 || pt.value >= lo.value) hi = pt;
      else {
        if (Math.abs(pt.slope) <= -c2 * d0) return pt;
        if (pt.slope * (hi.a - lo.a) >= 0) hi = lo;
        lo = pt;
      }
      if (Math.abs(hi.a - lo.a) < 1e-16 * Math.max(1, lo.a)) break;
    }
    return 'x' in lo && lo.a > 0 ? (lo as Point) : undefined;
  };
  let prev = { a: 0, value: f0, slope: d0 };
  const aMax = maxStep / maxAbs(p);
  let a = Math.min(1, aMax);
  for (let i = 0; i < 40; i++) {
    const pt = at(a);
    if (!Number.isFinite(pt.value)) return zoom(prev, pt);
    if (pt.value > f0 + c1 * a * d0 || (i > 0 && pt.value >= prev.value)) return zoom(prev, pt);
    if (Math.abs(pt.slope) <= -c2 * d0) return pt;
    if (pt.slope >= 0) return zoom(pt, prev);
    if (a >= aMax) return pt;
    prev = pt;
    a = Math.min(2 * a, aMax);
  }
  return undefined;
}

/**
 * BFGS with a strong-Wolfe line search (Nocedal & Wright, 2006, Algorithm 6.1; H₀ scaled by
 * y′s/y′y after the first step, eq. 6.20), for smooth likelihoods with an analytic gradient (the
 * two-level models, as lavaan fits them with optim's BFGS). Restarts from the steepest descent when a
 * line search fails; stops when every |gradient| ≤ gTol, or when no step lowers f any further. Pure.
 */
export function minimizeBfgs(fg: ValueAndGradient, start: readonly number[], options: GradientMinimizeOptions = {}): GradientMinimizeResult {
  const gTol = options.gTol ?? 1e-10;
  const maxIterations = options.maxIterations ?? 10_000;
  const n = start.length;
  let evaluations = 1;
  const count = () => void evaluations++;
  let x = [...start];
  let { value: f, gradient: g } = fg(x);
  if (!Number.isFinite(f)) return { x, value: f, maxGradient: Number.NaN, iterations: 0, evaluations, converged: false };
  let h: number[][] | undefined = options.inverseHessian?.map((row) => [...row]);
  let iterations = 0;
  let failures = 0;
  while (iterations < maxIterations && maxAbs(g) > gTol) {
    iterations++;
    const p = h ? h.map((row) => -dot(row, g)) : g.map((v) => -v);
    if (dot(p, g) >= 0) {
      h = undefined;
      continue;
    }
    const step = wolfeStep(fg, x, f, g, p, count, options.maxStep ?? Number.POSITIVE_INFINITY);
    if (!step || !(step.value <= f)) {
      if (!h || ++failures > 2) break;
      h = undefined;
      continue;
    }
    failures = 0;
    const s = step.x.map((v, i) => v - x[i]!);
    const y = step.gradient.map((v, i) => v - g[i]!);
    const sy = dot(s, y);
    const fOld = f;
    x = step.x;
    f = step.value;
    g = step.gradient;
    if (sy > 1e-300) {
      if (!h) {
        const scale = sy / dot(y, y);
        h = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? scale : 0)));
      }
      // H ← (I − ρ s y′) H (I − ρ y s′) + ρ s s′
      const rho = 1 / sy;
      const hy = h.map((row) => dot(row, y));
      const yhy = dot(y, hy);
      for (let i = 0; i < n; i++) {
        const hi = h[i]!;
        for (let j = 0; j < n; j++) hi[j] = hi[j]! - rho * (hy[i]! * s[j]! + s[i]! * hy[j]!) + (rho * rho * yhy + rho) * s[i]! * s[j]!;
      }
    }
    if (fOld - f <= 1e-16 * Math.max(1, Math.abs(f)) && maxAbs(s) <= 1e-15 * Math.max(1, maxAbs(x))) break;
  }
  const maxGradient = maxAbs(g);
  return { x, value: f, maxGradient, iterations, evaluations, converged: maxGradient <= Math.max(gTol, 1e-6) };
}
