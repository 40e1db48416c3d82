// relurev serve MODEL --port P: a model file as an HTTP black box, speaking the --url protocol:
//   POST /  {"inputs": [[...], ...]}  ->  200 {"outputs": [[...], ...]}
//   GET  /  ->  200 {"inputDim": d, "outputDim": m, ...}  (a health check)
// Malformed requests get 400 with a reason (413 if the body is too large); the server never crashes on input.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { openSource } from '../oracle/open.js';
import type { Oracle } from '../oracle/types.js';
import { action, intOption, UsageError } from './run.js';

export interface ServeLimits {
  /** Largest request body accepted, in bytes (default 32 MiB). */
  maxBodyBytes?: number;
  /** Most inputs per request (default 65536). */
  maxBatch?: number;
}

class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) return reject(new RequestError(413, `body of ${declared} bytes is over the limit of ${limit}`));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new RequestError(413, `body is over the limit of ${limit} bytes`));
        req.destroy();
      } else {
        chunks.push(c);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Validate {"inputs": [[d finite numbers], ...]} into n × d row-major float64. */
function parseInputs(text: string, inputDim: number, maxBatch: number): { xs: Float64Array; n: number } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new RequestError(400, `body is not JSON (${(e as Error).message})`);
  }
  const inputs = (data as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(inputs)) throw new RequestError(400, 'expected {"inputs": [[...], ...]}');
  if (inputs.length === 0 || inputs.length > maxBatch) throw new RequestError(400, `inputs: ${inputs.length} rows; expected 1 to ${maxBatch}`);
  const xs = new Float64Array(inputs.length * inputDim);
  inputs.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length !== inputDim) throw new RequestError(400, `inputs[${i}]: expected an array of ${inputDim} numbers`);
    row.forEach((v: unknown, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestError(400, `inputs[${i}][${j}]: not a finite number (${JSON.stringify(v)})`);
      xs[i * inputDim + j] = v;
    });
  });
  return { xs, n: inputs.length };
}

/** The request handler: usable on its own (tests wrap it to inject faults). */
export function createServeHandler(oracle: Oracle, limits: ServeLimits = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const maxBody = limits.maxBodyBytes ?? 32 * 1024 * 1024;
  const maxBatch = limits.maxBatch ?? 65536;
  return (req, res) => {
    void (async () => {
      try {
        if (req.method === 'GET') {
          send(res, 200, { inputDim: oracle.inputDim, outputDim: oracle.outputDim, protocol: 'POST {"inputs": [[...], ...]} -> {"outputs": [[...], ...]}' });
          return;
        }
        if (req.method !== 'POST') throw new RequestError(405, `method ${req.method} not allowed; POST {"inputs": [[...], ...]}`);
        const { xs, n } = parseInputs(await readBody(req, maxBody), oracle.inputDim, maxBatch);
        let ys: Float64Array;
        try {
          ys = await oracle.query(xs, n);
        } catch (e) {
          throw new RequestError(500, `model evaluation failed: ${(e as Error).message}`);
        }
        const m = ys.length / n;
        send(res, 200, { outputs: Array.from({ length: n }, (_, i) => Array.from(ys.subarray(i * m, (i + 1) * m))) });
      } catch (e) {
        const status = e instanceof RequestError ? e.status : 500;
        if (!res.headersSent) send(res, status, { error: (e as Error).message });
        if (status === 413) res.on('finish', () => req.destroy());
      }
    })();
  };
}

/** Listen on host:port (port 0: any free port); resolves once listening. */
export async function startServer(
  oracle: Oracle,
  opts: { port: number; host?: string } & ServeLimits,
): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer(createServeHandler(oracle, opts));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, server, close };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a model file (.json or .onnx) as an HTTP black box: POST {"inputs": [[...]]} -> {"outputs": [[...]]}')
    .argument('<model>', 'model file: relurev-mlp JSON or ONNX')
    .option('--port <n>', 'port to listen on (0: any free port)', intOption('--port', 0), 8080)
    .option('--host <host>', 'address to bind (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--max-body <bytes>', 'largest request body accepted', intOption('--max-body', 1), 32 * 1024 * 1024)
    .option('--max-batch <n>', 'most inputs per request', intOption('--max-batch', 1), 65536)
    .action(
      action(async (model: string, opts: { port: number; host: string; maxBody: number; maxBatch: number }) => {
        const { oracle } = await openSource({ model });
        let running: Awaited<ReturnType<typeof startServer>>;
        try {
          running = await startServer(oracle, { port: opts.port, host: opts.host, maxBodyBytes: opts.maxBody, maxBatch: opts.maxBatch });
        } catch (e) {
          await oracle.close?.();
          throw new UsageError(`cannot listen on ${opts.host}:${opts.port}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
        process.stdout.write(`relurev: serving ${model} (${oracle.inputDim} inputs, ${oracle.outputDim || '?'} outputs) at ${running.url}\n`);
        const signal = await new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        });
        await running.close();
        await oracle.close?.();
        process.stdout.write(`relurev: stopped (${signal})\n`);
      }),
    );
}
