import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionRegistration } from '../functionsCore';
import { invocationContextFor } from '../invocationContextFor';
import { WatchdogError } from '../../shared/domain/errors';
import { DEFAULT_HTTP_PORT, HTTP_PORT_SETTING } from './httpPort';
import { httpRoutesOf, type HttpRoute } from './httpRoutes';
import { DEFAULT_ROUTE_PREFIX } from './routePrefix';
import { toHttpRequest } from './toHttpRequest';
import { writeHttpResponse } from './writeHttpResponse';

export interface HttpHostOptions {
  readonly registrations: Iterable<FunctionRegistration>;
  /** Default 7071; 0 picks a free port (read it back from `port`). */
  readonly port?: number;
  /** `api` unless host.json sets extensions.http.routePrefix. */
  readonly routePrefix?: string;
  readonly log?: (line: string) => void;
}

export interface HttpRouteInfo {
  readonly functionName: string;
  readonly methods: readonly string[];
  readonly template: string;
  readonly authLevel: string;
}

export interface HttpHost {
  readonly port: number;
  /** `http://127.0.0.1:<port>`; routes live under `<baseUrl>/<prefix>/`. */
  readonly baseUrl: string;
  readonly routes: readonly HttpRouteInfo[];
  /** Stops taking requests; requests in progress get a few seconds to finish. */
  close(): Promise<void>;
}

/** The Functions host's default request size limit. */
const MAX_BODY_BYTES = 100 * 1024 * 1024;
const CLOSE_GRACE_MS = 5_000;

/**
 * Serves the app's HTTP functions on 127.0.0.1 as the Functions host would: each request matched
 * against the route templates (most specific first), checked against the declared methods (405
 * with Allow otherwise), handed to the handler as a real HttpRequest with an InvocationContext,
 * and the handler's response written back. Like Core Tools, function keys are not checked: a
 * route with authLevel `function` answers without a key. Only loopback is bound, so nothing
 * outside this machine reaches these unauthenticated routes.
 */
export async function startHttpHost(options: HttpHostOptions): Promise<HttpHost> {
  const log = options.log ?? (() => undefined);
  const routes = httpRoutesOf(options.registrations, options.routePrefix ?? DEFAULT_ROUTE_PREFIX);
  let baseUrl = '';
  const server: Server = createServer((req, res) => {
    serve(routes, baseUrl, req, res, log).catch((error: unknown) => {
      log(`HTTP ${req.method ?? '?'} ${req.url ?? ''} failed in the local host: ${describe(error)}`);
      if (!res.headersSent) sendError(res, 500, 'LOCAL_HOST_ERROR', 'The local host could not serve this request; its log has the cause');
      else res.destroy();
    });
  });
  const wanted = options.port ?? DEFAULT_HTTP_PORT;
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException): void => {
      reject(error.code === 'EADDRINUSE' ? new WatchdogError('HTTP_PORT_IN_USE', `Port ${wanted} on 127.0.0.1 is in use: set ${HTTP_PORT_SETTING} to another port (0 picks a free one)`, { port: wanted }) : error);
    };
    server.once('error', refuse);
    server.listen(wanted, '127.0.0.1', () => {
      server.off('error', refuse);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    port,
    baseUrl,
    routes: routes.map((r) => ({ functionName: r.functionName, methods: r.methods, template: r.route.template, authLevel: r.authLevel })),
    close: () => closeServer(server),
  };
}

async function serve(routes: readonly HttpRoute[], baseUrl: string, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', baseUrl);
  const candidates = routes.flatMap((route) => {
    const params = route.route.match(url.pathname);
    return params ? [{ route, params }] : [];
  });
  if (candidates.length === 0) {
    req.resume();
    return sendError(res, 404, 'NOT_FOUND', `No function serves ${url.pathname}`);
  }
  const chosen = candidates.find((c) => c.route.methods.includes(method));
  if (!chosen) {
    req.resume();
    const allowed = [...new Set(candidates.flatMap((c) => c.route.methods))];
    res.setHeader('Allow', allowed.join(', '));
    return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname} (allowed: ${allowed.join(', ')})`);
  }
  const body = await readBody(req);
  if (body === undefined) return sendError(res, 413, 'BODY_TOO_LARGE', `The body is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`);

  const { registration } = chosen.route;
  const context = invocationContextFor(registration, log);
  const request = toHttpRequest({ method, url, headers: req.headers, body, params: chosen.params });
  let status: number;
  try {
    status = await writeHttpResponse(res, await registration.handler(request, context), method);
  } catch (error) {
    // The host answers a failed invocation with a bare 500; the cause (and its stack) stays in the log.
    log(`[${registration.name}] failed (invocation ${context.invocationId}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    sendError(res, 500, 'FUNCTION_FAILED', `The function '${registration.name}' failed; the local host's log has the cause under invocation ${context.invocationId}`);
    status = 500;
  }
  // Reads are frequent (dashboards poll them); changes and failures are worth a line.
  if (method !== 'GET' && method !== 'HEAD') log(`HTTP ${method} ${url.pathname} -> ${status} (${registration.name})`);
  else if (status >= 500) log(`HTTP ${method} ${url.pathname} -> ${status} (${registration.name})`);
}

/** The whole body, or undefined once it passes the size limit (the rest is discarded). */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    // Keep-alive connections with no request in progress would otherwise hold close() open.
    server.closeIdleConnections();
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
