// Which of a network's parameters no query within a box can reveal (seed 001 §5), certified by mixed-integer programs
// over its activation patterns (relu-mip.ts), from the network itself. Three obstacles:
// - a dead neuron (never on in the box): no boundary, no effect: invisible, so the width itself is not identifiable;
// - an always-on neuron (never off): no boundary; it passes an affine map on, and its bias merges into the next
//   layer's (only their sum is seen);
// - a weight W_zi from a neuron i active only where z is off: it changes nothing the output shows, it only has to keep
//   z off there (an inequality, not a value), so B_z never bends at B_i.
// Each "never" is a MIP with no solution (infeasible); each "does" is a MIP solution checked by a forward pass.
import type { NeuronCertificate, NeuronState, NeverJointly, Obstacles } from '../network/compare.js';
import { preActivations } from '../network/forward.js';
import type { Network } from '../network/types.js';
import { cube } from './bounds.js';
import { type Affine, ReluMip } from './relu-mip.js';

export interface Identifiability extends Obstacles {
  /** The box is [−radius, radius] in every input. */
  radius: number;
  /** MIPs that hit their time limit or whose solution the forward pass did not confirm. */
  undecided: number;
}

export interface IdentifiabilityOptions {
  radius: number;
  /** Seconds per MIP (default 20). */
  timeLimit?: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Margin of the certificates, relative to the neuron's range over the box: "never off" means z > −MARGIN·range
 * everywhere. The big-M rows round at ~1e-9 of their range, so a tighter margin would certify noise.
 */
const MARGIN = 1e-7;

export async function identifiability(net: Network, opts: IdentifiabilityOptions): Promise<Identifiability> {
  const n = net.layers[0].inDim;
  const box = cube(n, opts.radius);
  const depth = net.layers.length - 1;
  const timeLimit = opts.timeLimit ?? 20;
  const total = net.layers.slice(0, depth).reduce((a, l, j) => a + 2 * l.outDim + (j > 0 ? l.outDim * l.inDim : 0), 0);
  let done = 0;
  let undecided = 0;
  const tick = () => opts.onProgress?.(++done, total);
  const neurons: NeuronCertificate[] = [];
  const neverJointly: NeverJointly[] = [];
  const states: NeuronState[][] = [];

  /** Whether some input in the box puts every given pre-activation (layer j, neuron r) at ≥ its margin (sign +1) or ≤ −margin (sign −1). */
  const exists = async (k: number, conds: { j: number; r: number; sign: 1 | -1 }[]): Promise<boolean | undefined> => {
    const mip = new ReluMip(net, k, box);
    for (const { j, r, sign } of conds) {
      const z: Affine = mip.pre(j, r);
      const eps = MARGIN * Math.max(mip.bounds[j].upper[r] - mip.bounds[j].lower[r], 1e-300);
      if (sign > 0) mip.addRow({ idx: z.idx, val: z.val, lo: eps - z.constant, hi: Infinity });
      else mip.addRow({ idx: z.idx, val: z.val, lo: -Infinity, hi: -eps - z.constant });
    }
    const res = await mip.solve({ timeLimit });
    tick();
    if (res.status === 'infeasible') return false;
    if (res.x) {
      const pre = preActivations(net, res.x.slice(0, n), 1);
      if (conds.every(({ j, r, sign }) => sign * pre[j][r] > 0)) return true;
    }
    undecided++;
    return undefined;
  };

  for (let j = 0; j < depth; j++) {
    const layerStates: NeuronState[] = [];
    for (let r = 0; r < net.layers[j].outDim; r++) {
      const on = await exists(j + 1, [{ j, r, sign: 1 }]);
      const off = await exists(j + 1, [{ j, r, sign: -1 }]);
      const state: NeuronState = on === false ? 'dead' : off === false ? 'always-on' : on && off ? 'switches' : 'undecided';
      layerStates.push(state);
      neurons.push({ layer: j + 1, neuron: r, state });
    }
    states.push(layerStates);
    if (j === 0) continue;
    for (let r = 0; r < net.layers[j].outDim; r++) {
      for (let i = 0; i < net.layers[j].inDim; i++) {
        if (layerStates[r] === 'dead' || states[j - 1][i] === 'dead') {
          tick();
          continue;
        }
        const together = await exists(j + 1, [
          { j, r, sign: 1 },
          { j: j - 1, r: i, sign: 1 },
        ]);
        if (together === false) neverJointly.push({ layer: j + 1, neuron: r, from: i });
      }
    }
  }
  return { radius: opts.radius, neurons, neverJointly, undecided };
}

/** How many obstacles the certificates found: dead and always-on neurons, and weights never active together. */
export function obstacleCount(r: Obstacles): number {
  return r.neurons.filter((c) => c.state === 'dead' || c.state === 'always-on').length + r.neverJointly.length;
}
