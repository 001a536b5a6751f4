import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer; 'hang' reads the request and never answers. */
export type SinkResponse = { readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string } | 'hang';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as received (the query holds the fake signature). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly body: unknown;
}

const ACCEPTED: SinkResponse = { status: 202 };

/**
 * A stand-in for a Teams Workflows webhook: a real HTTP server on 127.0.0.1 that records every
 * request and answers from a script, then with 202 and an empty body as Teams does. Its URL
 * carries a random `sig` like a real one, so tests can prove the signature never leaks.
 */
export class WebhookSink {
  readonly requests: RecordedRequest[] = [];
  /** The fake signature in the URL, to search for in logs and errors. */
  readonly signature: string;
  #script: SinkResponse[] = [];
  #fallback: SinkResponse = ACCEPTED;
  #port = 0;
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => this.#handle(req, res));
    this.signature = randomBytes(24).toString('base64url');
  }

  /** `port` 0 (the default) picks a free port. */
  static async start(options: { readonly port?: number } = {}): Promise<WebhookSink> {
    const sink = new WebhookSink();
    await new Promise<void>((resolve, reject) => {
      sink.#server.once('error', reject);
      sink.#server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    sink.#port = (sink.#server.address() as AddressInfo).port;
    return sink;
  }

  /** Shaped like a real Workflows trigger URL, fake signature included. */
  get url(): string {
    return `http://127.0.0.1:${this.#port}/workflows/0d5c6f1e/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${this.signature}`;
  }

  /** Answers the next requests in this order; after that, the fallback (202 unless set). */
  respondWith(script: readonly SinkResponse[]): this {
    this.#script = [...script];
    return this;
  }

  /** The answer once the script is used up. */
  respondAlways(response: SinkResponse): this {
    this.#fallback = response;
    return this;
  }

  /** Forgets recorded requests and any script, so one server can serve many tests. */
  reset(): void {
    this.requests.length = 0;
    this.#script = [];
    this.#fallback = ACCEPTED;
  }

  async close(): Promise<void> {
    // Hanging requests would otherwise keep close() waiting forever.
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawBody, body: parseJson(rawBody) });
      const response = this.#script.shift() ?? this.#fallback;
      if (response === 'hang') return;
      res.writeHead(response.status, response.headers);
      res.end(response.body ?? '');
    });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
