// ONNX import/export of MLPs through the ONNX protobuf schema (onnx-proto, on protobufjs).
// Read: a chain from the graph input to the graph output of Gemm (any transB, alpha, beta), or MatMul
// (+ Add), with Relu between linear layers; Identity and Dropout pass through; weights come from
// initializers or Constant nodes, float32 or float64. Write: Gemm(transB=1)+Relu (or MatMul+Add,
// the other layout PyTorch exporters produce), float64 or float32, dynamic or fixed batch dimension.
import { readFileSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import { ModelFormatError } from './format.js';
import type { Layer, Network } from './types.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const DOUBLE = onnx.TensorProto.DataType.DOUBLE;

/** protobufjs gives int64 fields as number or Long. */
function int(v: unknown): number {
  return typeof v === 'number' ? v : Number(String(v));
}

interface Tensor {
  dims: number[];
  data: Float64Array;
}

/** A float/double tensor's values as float64 (raw little-endian bytes or the typed repeated field). */
function tensorValues(t: onnxProto.onnx.ITensorProto, where: string): Tensor {
  const dims = (t.dims ?? []).map(int);
  const size = dims.reduce((a, b) => a * b, 1);
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData?.length ?? 0) > 0) {
    throw new ModelFormatError(`${where}: tensor "${t.name}" stores its data in an external file (not supported)`);
  }
  const type = t.dataType ?? 0;
  if (type !== FLOAT && type !== DOUBLE) {
    const name = onnx.TensorProto.DataType[type] ?? String(type);
    throw new ModelFormatError(`${where}: tensor "${t.name}" has element type ${name}; only float and double are supported`);
  }
  const width = type === FLOAT ? 4 : 8;
  let data: Float64Array;
  const raw = t.rawData;
  if (raw && raw.length > 0) {
    if (raw.length !== size * width) {
      throw new ModelFormatError(`${where}: tensor "${t.name}" has ${raw.length} bytes of data, expected ${size * width} for shape [${dims}]`);
    }
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    data = new Float64Array(size);
    for (let i = 0; i < size; i++) data[i] = width === 4 ? view.getFloat32(4 * i, true) : view.getFloat64(8 * i, true);
  } else {
    const values = type === FLOAT ? t.floatData : t.doubleData;
    if ((values?.length ?? 0) !== size) {
      throw new ModelFormatError(`${where}: tensor "${t.name}" has ${values?.length ?? 0} values, expected ${size} for shape [${dims}]`);
    }
    data = Float64Array.from(values ?? []);
  }
  for (let i = 0; i < size; i++) {
    if (!Number.isFinite(data[i])) throw new ModelFormatError(`${where}: tensor "${t.name}" has a non-finite value (${data[i]}) at index ${i}`);
  }
  return { dims, data };
}

function attribute(node: onnxProto.onnx.INodeProto, name: string): onnxProto.onnx.IAttributeProto | undefined {
  return node.attribute?.find((a) => a.name === name);
}

function intAttr(node: onnxProto.onnx.INodeProto, name: string, dflt: number): number {
  const a = attribute(node, name);
  return a ? int(a.i ?? 0) : dflt;
}

function floatAttr(node: onnxProto.onnx.INodeProto, name: string, dflt: number): number {
  const a = attribute(node, name);
  return a ? (a.f ?? 0) : dflt;
}

/** Decode bytes into a ModelProto; any protobuf failure or a missing graph is a one-line ModelFormatError. */
export function decodeOnnx(bytes: Uint8Array, source: string): onnxProto.onnx.ModelProto {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new ModelFormatError(`${source}: not a valid ONNX file (${(e as Error).message.split('\n')[0]})`);
  }
  if (!model.graph || (model.graph.node ?? []).length === 0) {
    throw new ModelFormatError(`${source}: not a valid ONNX file (no graph)`);
  }
  return model;
}

/** The network an ONNX model computes, if it is an MLP of the supported shape; otherwise a ModelFormatError naming why. */
export function onnxToNetwork(bytes: Uint8Array, source = 'model'): Network {
  const graph = decodeOnnx(bytes, source).graph!;
  const constants = new Map<string, onnxProto.onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) constants.set(t.name ?? '', t);
  for (const node of graph.node ?? []) {
    const value = attribute(node, 'value');
    if (node.opType === 'Constant' && value?.t) constants.set(node.output?.[0] ?? '', value.t);
  }
  const weight = (name: string, node: onnxProto.onnx.INodeProto): Tensor => {
    const t = constants.get(name);
    if (!t) throw new ModelFormatError(`${source}: ${node.opType} node "${node.name ?? ''}" takes "${name}", which is not a constant weight tensor`);
    return tensorValues(t, source);
  };

  const inputs = (graph.input ?? []).filter((v) => !constants.has(v.name ?? ''));
  if (inputs.length !== 1) throw new ModelFormatError(`${source}: expected one graph input, found ${inputs.length}`);
  const outputs = graph.output ?? [];
  if (outputs.length !== 1) throw new ModelFormatError(`${source}: expected one graph output, found ${outputs.length}`);
  const consumers = new Map<string, onnxProto.onnx.INodeProto[]>();
  for (const node of graph.node ?? []) {
    if (node.opType === 'Constant') continue;
    for (const name of node.input ?? []) {
      if (!consumers.has(name)) consumers.set(name, []);
      consumers.get(name)!.push(node);
    }
  }

  const layers: Layer[] = [];
  /** The last layer's pre-activation is the current value (Relu may follow; Add may add its bias). */
  let open: { layer: Layer; fromMatMul: boolean; biased: boolean } | null = null;
  let reluAfterLast = true; // no layer yet: the input is "after a Relu" for the purpose of the chain check
  let current = inputs[0].name ?? '';
  const outputName = outputs[0].name ?? '';
  for (let steps = 0; current !== outputName; steps++) {
    const next = consumers.get(current) ?? [];
    if (next.length !== 1) {
      throw new ModelFormatError(`${source}: value "${current}" feeds ${next.length} nodes; only a simple chain (an MLP) is supported`);
    }
    if (steps > (graph.node ?? []).length) throw new ModelFormatError(`${source}: the graph has a cycle`);
    const node = next[0];
    const ins = node.input ?? [];
    const where = `${node.opType} node "${node.name ?? ''}"`;
    switch (node.opType) {
      case 'Gemm':
      case 'MatMul': {
        if (!reluAfterLast) throw new ModelFormatError(`${source}: two linear layers without a Relu between them (at ${where})`);
        if (ins[0] !== current) throw new ModelFormatError(`${source}: ${where}: the activations must be its first input`);
        const gemm = node.opType === 'Gemm';
        if (gemm && intAttr(node, 'transA', 0) !== 0) throw new ModelFormatError(`${source}: ${where}: transA=1 is not supported`);
        const B = weight(ins[1], node);
        if (B.dims.length !== 2) throw new ModelFormatError(`${source}: ${where}: weight "${ins[1]}" has rank ${B.dims.length}, expected 2`);
        const transB = gemm && intAttr(node, 'transB', 0) === 1;
        const [outDim, inDim] = transB ? B.dims : [B.dims[1], B.dims[0]];
        const prevOut = layers.length ? layers[layers.length - 1].outDim : inDim;
        if (inDim !== prevOut) throw new ModelFormatError(`${source}: ${where}: input size ${inDim} does not match the previous layer's output size ${prevOut}`);
        const alpha = gemm ? floatAttr(node, 'alpha', 1) : 1;
        const W = new Float64Array(outDim * inDim);
        for (let j = 0; j < outDim; j++) {
          for (let i = 0; i < inDim; i++) W[j * inDim + i] = alpha * (transB ? B.data[j * inDim + i] : B.data[i * outDim + j]);
        }
        const layer: Layer = { inDim, outDim, W, b: new Float64Array(outDim) };
        if (gemm && ins[2]) addBias(layer, weight(ins[2], node), floatAttr(node, 'beta', 1), source, where);
        layers.push(layer);
        open = { layer, fromMatMul: !gemm, biased: gemm && !!ins[2] };
        reluAfterLast = false;
        break;
      }
      case 'Add': {
        if (!open?.fromMatMul || open.biased) throw new ModelFormatError(`${source}: ${where}: Add is only supported as the bias of a MatMul`);
        const other = ins[0] === current ? ins[1] : ins[0];
        addBias(open.layer, weight(other, node), 1, source, where);
        open.biased = true;
        break;
      }
      case 'Relu':
        if (!open || reluAfterLast) throw new ModelFormatError(`${source}: ${where}: Relu must follow a linear layer`);
        reluAfterLast = true;
        break;
      case 'Identity':
      case 'Dropout': // inference mode: identity
        break;
      default:
        throw new ModelFormatError(`${source}: unsupported operator ${node.opType} (${where}); relurev reads MLPs made of Gemm or MatMul+Add with Relu`);
    }
    current = node.output?.[0] ?? '';
  }
  if (layers.length === 0) throw new ModelFormatError(`${source}: the graph has no linear layer`);
  if (reluAfterLast) throw new ModelFormatError(`${source}: the last layer is followed by Relu; relurev expects a linear output layer`);
  return { layers, activation: 'relu' };
}

function addBias(layer: Layer, bias: Tensor, beta: number, source: string, where: string): void {
  const size = bias.data.length;
  if (size !== layer.outDim && size !== 1) {
    throw new ModelFormatError(`${source}: ${where}: bias has ${size} values, expected ${layer.outDim}`);
  }
  for (let j = 0; j < layer.outDim; j++) layer.b[j] += beta * bias.data[size === 1 ? 0 : j];
}

/** Read an ONNX MLP's weights from a file. */
export function readOnnxNetwork(path: string): Network {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new ModelFormatError(`cannot read model file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return onnxToNetwork(bytes, path);
}

export interface OnnxWriteOptions {
  /** Element type of the weights, input and output (default float64). */
  dtype?: 'float64' | 'float32';
  /** 'gemm': Gemm(transB=1) per layer (torch.onnx.export's layout); 'matmul': MatMul with W^T, then Add. */
  ops?: 'gemm' | 'matmul';
  /** A fixed batch size for the input and output (default: a symbolic "batch" dimension). */
  batch?: number;
  /** Stored as the model's metadata_props (string values; objects as JSON). */
  meta?: Record<string, unknown>;
  partial?: boolean;
}

function tensor(name: string, dims: number[], values: ArrayLike<number>, dtype: 'float64' | 'float32'): onnxProto.onnx.ITensorProto {
  const data = dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  const raw = new Uint8Array(data.byteLength);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) {
    if (dtype === 'float64') view.setFloat64(8 * i, data[i], true);
    else view.setFloat32(4 * i, data[i], true);
  }
  return { name, dims, dataType: dtype === 'float64' ? DOUBLE : FLOAT, rawData: raw };
}

/** Serialise a network as an ONNX model (opset 13) that onnxruntime runs. */
export function networkToOnnx(net: Network, opts: OnnxWriteOptions = {}): Uint8Array {
  const dtype = opts.dtype ?? 'float64';
  const elemType = dtype === 'float64' ? DOUBLE : FLOAT;
  const batchDim = opts.batch !== undefined ? { dimValue: opts.batch } : { dimParam: 'batch' };
  const valueInfo = (name: string, width: number): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType, shape: { dim: [batchDim, { dimValue: width }] } } },
  });
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  const node: onnxProto.onnx.INodeProto[] = [];
  const L = net.layers.length;
  let current = 'input';
  net.layers.forEach((l, k) => {
    const z = k === L - 1 ? 'output' : `z${k}`;
    if (opts.ops === 'matmul') {
      const Wt = new Float64Array(l.inDim * l.outDim);
      for (let j = 0; j < l.outDim; j++) for (let i = 0; i < l.inDim; i++) Wt[i * l.outDim + j] = l.W[j * l.inDim + i];
      initializer.push(tensor(`layers.${k}.weight_t`, [l.inDim, l.outDim], Wt, dtype), tensor(`layers.${k}.bias`, [l.outDim], l.b, dtype));
      node.push({ name: `matmul${k}`, opType: 'MatMul', input: [current, `layers.${k}.weight_t`], output: [`mm${k}`] });
      node.push({ name: `add${k}`, opType: 'Add', input: [`mm${k}`, `layers.${k}.bias`], output: [z] });
    } else {
      initializer.push(tensor(`layers.${k}.weight`, [l.outDim, l.inDim], l.W, dtype), tensor(`layers.${k}.bias`, [l.outDim], l.b, dtype));
      node.push({
        name: `gemm${k}`,
        opType: 'Gemm',
        input: [current, `layers.${k}.weight`, `layers.${k}.bias`],
        output: [z],
        attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      });
    }
    if (k < L - 1) {
      node.push({ name: `relu${k}`, opType: 'Relu', input: [z], output: [`h${k}`] });
      current = `h${k}`;
    }
  });
  const metadataProps = Object.entries({ ...(opts.meta ?? {}), ...(opts.partial ? { partial: true } : {}) }).map(([key, v]) => ({
    key,
    value: typeof v === 'string' ? v : JSON.stringify(v),
  }));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'relurev',
    metadataProps,
    graph: {
      name: 'relurev-mlp',
      input: [valueInfo('input', net.layers[0].inDim)],
      output: [valueInfo('output', net.layers[L - 1].outDim)],
      initializer,
      node,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export function writeOnnxNetwork(path: string, net: Network, opts: OnnxWriteOptions = {}): void {
  writeFileSync(path, networkToOnnx(net, opts));
}
