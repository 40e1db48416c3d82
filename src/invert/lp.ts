// Linear and mixed-integer programs through HiGHS (the `highs` package, compiled to wasm). Models are
// passed as sparse arrays (HiGHS' structured model input), not as LP text, so coefficients keep their
// full float64 value. The runtime loads once per process.
import { createRequire } from 'node:module';
import type { Highs } from 'highs';

// The package's types describe its CommonJS build (`module.exports.default` is the loader); loading
// that build with require keeps the types and the run-time value in agreement.
type HighsPackage = typeof import('highs');

let runtime: Promise<Highs> | undefined;

/** The HiGHS runtime (loaded on first use, ~50 ms). */
export function highs(): Promise<Highs> {
  runtime ??= (createRequire(import.meta.url)('highs') as HighsPackage).default();
  return runtime;
}

/**
 * min or max costᵀx subject to rowLower ≤ A x ≤ rowUpper and colLower ≤ x ≤ colUpper, with A dense
 * row-major numRows × numCols (exact zeros are dropped). ±Infinity means no bound.
 */
export interface LinearProgram {
  numCols: number;
  numRows: number;
  A: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  cost: Float64Array;
  maximize?: boolean;
  /** Columns with a 1 here are integer (a MIP). */
  integer?: Uint8Array;
  /** Seconds; the solve stops with status 'limit' after it. */
  timeLimit?: number;
  /** Primal (and MIP) feasibility tolerance; HiGHS' minimum 1e-10 is allowed. Default 1e-9. */
  feasibilityTol?: number;
  /** HiGHS' LP algorithm (default: HiGHS chooses, i.e. dual simplex). */
  solver?: 'simplex' | 'ipm';
}

export type LpStatus = 'optimal' | 'infeasible' | 'unbounded' | 'limit' | 'error';

export interface LpResult {
  status: LpStatus;
  /** The primal solution when HiGHS has a feasible one (also after a time limit in a MIP). */
  x?: Float64Array;
  objective?: number;
  /** HiGHS model status code (highs.constants.modelStatus). */
  modelStatus: number;
}

export async function solveLp(lp: LinearProgram): Promise<LpResult> {
  const h = await highs();
  const first = run(h, lp, 'choose');
  // "Unbounded or infeasible" comes from presolve; without presolve the simplex tells which.
  if (first.modelStatus === h.constants.modelStatus.unboundedOrInfeasible) return run(h, lp, 'off');
  // HiGHS 1.15.3's MIP presolve declares some feasible big-M models infeasible (relu-mip.ts: two pre-activations
  // ≥ 1e-7 of their range on a 10-8-8 network, feasible at 1e-5 and 1e-9): an infeasible MIP is confirmed without it.
  if (isMip(lp) && first.status === 'infeasible') return run(h, lp, 'off');
  return first;
}

function isMip(lp: LinearProgram): boolean {
  return lp.integer !== undefined && lp.integer.some((v) => v === 1);
}

function run(h: Highs, lp: LinearProgram, presolve: 'choose' | 'off'): LpResult {
  const { numCols, numRows, A } = lp;
  const starts = new Int32Array(numRows + 1);
  let nnz = 0;
  for (let i = 0; i < A.length; i++) if (A[i] !== 0) nnz++;
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  for (let i = 0; i < numRows; i++) {
    for (let j = 0, o = i * numCols; j < numCols; j++) {
      const v = A[o + j];
      if (v !== 0) {
        indices[k] = j;
        values[k++] = v;
      }
    }
    starts[i + 1] = k;
  }
  const tol = lp.feasibilityTol ?? 1e-9;
  const mip = isMip(lp);
  return h.withModel(
    {
      numCols,
      numRows,
      sense: lp.maximize ? h.constants.objectiveSense.maximize : h.constants.objectiveSense.minimize,
      colCost: lp.cost,
      colLower: lp.colLower,
      colUpper: lp.colUpper,
      rowLower: lp.rowLower,
      rowUpper: lp.rowUpper,
      matrix: { format: 'csr', numRows, numCols, starts, indices, values },
      ...(mip ? { integrality: Int32Array.from(lp.integer!) } : {}),
    },
    (model) => {
      model.options.set({
        output_flag: false,
        presolve,
        ...(lp.solver ? { solver: lp.solver } : {}),
        primal_feasibility_tolerance: tol,
        dual_feasibility_tolerance: tol,
        small_matrix_value: 1e-12,
        ...(mip ? { mip_feasibility_tolerance: tol } : {}),
        ...(lp.timeLimit !== undefined ? { time_limit: lp.timeLimit } : {}),
      });
      const { modelStatus } = model.run();
      const hasPrimal = model.info.get('primal_solution_status') === h.constants.solutionStatus.feasible;
      const x = hasPrimal ? Float64Array.from(model.getSolution().colValue) : undefined;
      const objective = hasPrimal ? model.getObjectiveValue() : undefined;
      const ms = h.constants.modelStatus;
      let status: LpStatus;
      switch (modelStatus) {
        case ms.optimal:
          status = 'optimal';
          break;
        case ms.infeasible:
          status = 'infeasible';
          break;
        case ms.unbounded:
        case ms.unboundedOrInfeasible:
          status = 'unbounded';
          break;
        case ms.timeLimit:
        case ms.iterationLimit:
        case ms.solutionLimit:
        case ms.interrupted:
          status = 'limit';
          break;
        default:
          status = 'error';
      }
      return { status, x, objective, modelStatus };
    },
  );
}

/** Bounds vectors: n copies of a value. */
export function filled(n: number, v: number): Float64Array {
  return new Float64Array(n).fill(v);
}
