// Float64 training of test targets (seed 001 §6): softmax cross-entropy on the last layer's outputs,
// minibatch Adam, seeded shuffling. Trains the network in place.
import { makeRng } from './random.js';
import type { Network } from './types.js';

export interface TrainOptions {
  epochs: number;
  lr?: number;
  batchSize?: number;
  seed: number;
  /** Stop after the first epoch whose training accuracy is >= this (in [0, 1]). */
  targetAccuracy?: number;
  onEpoch?: (epoch: number, loss: number, accuracy: number) => void;
}

/** Mean cross-entropy and its gradient; dW[k] is row-major [outDim][inDim] like layers[k].W. */
export interface LossGradient {
  loss: number;
  dW: Float64Array[];
  db: Float64Array[];
}

/** Buffers for one batch of up to `capacity` samples, allocated once and reused. */
interface Workspace {
  capacity: number;
  /** acts[k]: input of layer k (acts[0] = the batch, acts[k > 0] = ReLU output of layer k − 1). */
  acts: Float64Array[];
  /** Last layer's outputs (logits). */
  logits: Float64Array;
  /** deltas[k]: ∂loss/∂(pre-activation of layer k). */
  deltas: Float64Array[];
}

function makeWorkspace(net: Network, capacity: number): Workspace {
  return {
    capacity,
    acts: net.layers.map((l) => new Float64Array(capacity * l.inDim)),
    logits: new Float64Array(capacity * net.layers[net.layers.length - 1].outDim),
    deltas: net.layers.map((l) => new Float64Array(capacity * l.outDim)),
  };
}

function zeroGradients(net: Network): LossGradient {
  return { loss: 0, dW: net.layers.map((l) => new Float64Array(l.W.length)), db: net.layers.map((l) => new Float64Array(l.outDim)) };
}

/** Forward pass of the n samples in ws.acts[0]; fills ws.acts[1..] and ws.logits. */
function forwardBatch(net: Network, ws: Workspace, n: number): void {
  const L = net.layers.length;
  for (let k = 0; k < L; k++) {
    const { W, b, inDim, outDim } = net.layers[k];
    const x = ws.acts[k];
    const last = k === L - 1;
    const y = last ? ws.logits : ws.acts[k + 1];
    // j outer, samples inner: weight row j stays in cache while the batch streams past it.
    for (let j = 0; j < outDim; j++) {
      const wo = j * inDim;
      for (let s = 0; s < n; s++) {
        const xo = s * inDim;
        let acc = b[j];
        for (let i = 0; i < inDim; i++) acc += W[wo + i] * x[xo + i];
        y[s * outDim + j] = !last && acc < 0 ? 0 : acc;
      }
    }
  }
}

/**
 * Softmax cross-entropy of the logits against the labels: returns the summed loss and the number
 * of correct argmax predictions; if `delta` is given, writes ∂(loss sum)/∂logits · scale into it,
 * which is (softmax − onehot) · scale.
 */
function softmaxCrossEntropy(
  logits: Float64Array, labels: Int32Array, labelOffset: number, n: number, c: number,
  delta: Float64Array | null, scale: number,
): { lossSum: number; correct: number } {
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < n; s++) {
    const o = s * c;
    const label = labels[labelOffset + s];
    let max = logits[o];
    let arg = 0;
    for (let j = 1; j < c; j++) {
      if (logits[o + j] > max) {
        max = logits[o + j];
        arg = j;
      }
    }
    if (arg === label) correct++;
    // log Σ exp(z_j) computed as max + log Σ exp(z_j − max), which cannot overflow.
    let sum = 0;
    for (let j = 0; j < c; j++) sum += Math.exp(logits[o + j] - max);
    lossSum += max + Math.log(sum) - logits[o + label];
    if (delta) {
      for (let j = 0; j < c; j++) delta[o + j] = (Math.exp(logits[o + j] - max) / sum - (j === label ? 1 : 0)) * scale;
    }
  }
  return { lossSum, correct };
}

/** Backward pass from ws.deltas[L−1]: adds ∂loss/∂W and ∂loss/∂b of every layer into grads. */
function backwardBatch(net: Network, ws: Workspace, n: number, grads: LossGradient): void {
  for (let k = net.layers.length - 1; k >= 0; k--) {
    const { W, inDim, outDim } = net.layers[k];
    const x = ws.acts[k];
    const d = ws.deltas[k];
    const dW = grads.dW[k];
    const db = grads.db[k];
    // dW = δᵀ x, db = Σ_s δ: one axpy of an input row per nonzero δ (ReLU makes many δ zero).
    for (let j = 0; j < outDim; j++) {
      const wo = j * inDim;
      let bsum = 0;
      for (let s = 0; s < n; s++) {
        const ds = d[s * outDim + j];
        if (ds === 0) continue;
        bsum += ds;
        const xo = s * inDim;
        for (let i = 0; i < inDim; i++) dW[wo + i] += ds * x[xo + i];
      }
      db[j] += bsum;
    }
    if (k === 0) break;
    // δ_{k−1} = (δ_k W_k) ⊙ 1[z_{k−1} > 0]; x = ReLU(z_{k−1}), so x > 0 exactly where the ReLU is active.
    const prev = ws.deltas[k - 1];
    prev.fill(0, 0, n * inDim);
    for (let s = 0; s < n; s++) {
      const po = s * inDim;
      for (let j = 0; j < outDim; j++) {
        const ds = d[s * outDim + j];
        if (ds === 0) continue;
        const wo = j * inDim;
        for (let i = 0; i < inDim; i++) prev[po + i] += ds * W[wo + i];
      }
      for (let i = 0; i < inDim; i++) if (x[po + i] <= 0) prev[po + i] = 0;
    }
  }
}

function checkData(net: Network, xs: Float64Array, labels: Int32Array, n: number): void {
  const inDim = net.layers[0].inDim;
  const c = net.layers[net.layers.length - 1].outDim;
  if (xs.length !== n * inDim) throw new RangeError(`xs has ${xs.length} values, expected ${n} × ${inDim}`);
  if (labels.length !== n) throw new RangeError(`labels has ${labels.length} entries, expected ${n}`);
  for (let s = 0; s < n; s++) {
    if (labels[s] < 0 || labels[s] >= c) throw new RangeError(`label ${labels[s]} of sample ${s} is outside [0, ${c})`);
  }
}

/** Mean softmax cross-entropy over the n samples and its exact gradient with respect to every W and b. */
export function lossAndGradient(net: Network, xs: Float64Array, labels: Int32Array, n: number): LossGradient {
  checkData(net, xs, labels, n);
  const ws = makeWorkspace(net, n);
  ws.acts[0].set(xs);
  forwardBatch(net, ws, n);
  const L = net.layers.length;
  const { lossSum } = softmaxCrossEntropy(ws.logits, labels, 0, n, net.layers[L - 1].outDim, ws.deltas[L - 1], 1 / n);
  const grads = zeroGradients(net);
  backwardBatch(net, ws, n, grads);
  grads.loss = lossSum / n;
  return grads;
}

/** Mean loss and accuracy over the whole data set, in workspace-sized chunks. */
function evaluate(net: Network, ws: Workspace, xs: Float64Array, labels: Int32Array, n: number): { loss: number; accuracy: number } {
  const inDim = net.layers[0].inDim;
  const c = net.layers[net.layers.length - 1].outDim;
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < n; start += ws.capacity) {
    const m = Math.min(ws.capacity, n - start);
    ws.acts[0].set(xs.subarray(start * inDim, (start + m) * inDim));
    forwardBatch(net, ws, m);
    const r = softmaxCrossEntropy(ws.logits, labels, start, m, c, null, 0);
    lossSum += r.lossSum;
    correct += r.correct;
  }
  return { loss: lossSum / n, accuracy: correct / n };
}

/**
 * Train net in place with Adam (β1 = 0.9, β2 = 0.999, ε = 1e−8) on minibatches of a seeded shuffle.
 * Loss and accuracy are measured on the full training set after each epoch.
 */
export function trainClassifier(
  net: Network, xs: Float64Array, labels: Int32Array, n: number, opts: TrainOptions,
): { epochs: number; loss: number; accuracy: number } {
  checkData(net, xs, labels, n);
  const lr = opts.lr ?? 1e-3;
  const batchSize = Math.max(1, Math.min(opts.batchSize ?? 32, n));
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;
  const rng = makeRng(opts.seed);
  const ws = makeWorkspace(net, batchSize);
  const grads = zeroGradients(net);
  const params = net.layers.flatMap((l) => [l.W, l.b]);
  const m = params.map((p) => new Float64Array(p.length));
  const v = params.map((p) => new Float64Array(p.length));
  const inDim = net.layers[0].inDim;
  const L = net.layers.length;
  const c = net.layers[L - 1].outDim;
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const batchLabels = new Int32Array(batchSize);
  let step = 0;
  let result = evaluate(net, ws, xs, labels, n);
  let epoch = 0;
  while (epoch < opts.epochs && !(opts.targetAccuracy !== undefined && result.accuracy >= opts.targetAccuracy)) {
    epoch++;
    // Fisher–Yates shuffle of the sample order.
    for (let i = n - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    for (let start = 0; start < n; start += batchSize) {
      const bn = Math.min(batchSize, n - start);
      for (let s = 0; s < bn; s++) {
        const idx = order[start + s];
        ws.acts[0].set(xs.subarray(idx * inDim, (idx + 1) * inDim), s * inDim);
        batchLabels[s] = labels[idx];
      }
      forwardBatch(net, ws, bn);
      softmaxCrossEntropy(ws.logits, batchLabels, 0, bn, c, ws.deltas[L - 1], 1 / bn);
      for (let k = 0; k < L; k++) {
        grads.dW[k].fill(0);
        grads.db[k].fill(0);
      }
      backwardBatch(net, ws, bn, grads);
      step++;
      // Bias-corrected step size: lr · sqrt(1 − β2^t) / (1 − β1^t), folded into one scalar.
      const stepSize = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      for (let p = 0; p < params.length; p++) {
        const k = p >> 1;
        const g = p & 1 ? grads.db[k] : grads.dW[k];
        const w = params[p];
        const mp = m[p];
        const vp = v[p];
        for (let i = 0; i < w.length; i++) {
          mp[i] = beta1 * mp[i] + (1 - beta1) * g[i];
          vp[i] = beta2 * vp[i] + (1 - beta2) * g[i] * g[i];
          w[i] -= (stepSize * mp[i]) / (Math.sqrt(vp[i]) + eps);
        }
      }
    }
    result = evaluate(net, ws, xs, labels, n);
    opts.onEpoch?.(epoch, result.loss, result.accuracy);
  }
  return { epochs: epoch, ...result };
}
