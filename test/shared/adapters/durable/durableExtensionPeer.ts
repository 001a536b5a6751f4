import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the Durable Functions extension's HTTP API as the host serves it to the
 * durable client of an invocation: start, status and raise-event, with the status codes of the
 * extension's HttpApiHandler (start of a running id: 500; status of an unknown id: 404, of a
 * running one: 202; an event for a finished instance: 410, for an unknown one: 404). Served both
 * under the local RPC base (`/durabletask/`) and the public webhook path that carries the system key.
 */
export const SYSTEM_KEY = 'SYSTEMKEY-do-not-leak-0123456789';
const TASK_HUB = 'WatchdogHub';

export interface PeerInstance {
  name: string;
  instanceId: string;
  runtimeStatus: string;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  events: { name: string; data: unknown; contentType: string | undefined }[];
}

export interface PeerRequest {
  readonly method: string;
  readonly url: string;
}

export class DurableExtensionPeer {
  readonly instances = new Map<string, PeerInstance>();
  readonly requests: PeerRequest[] = [];
  /** Answers the next request with this status and a body that quotes the request's URL (key included). */
  failNext: number | undefined;
  /** Runs as a start request arrives, before it is answered: another trigger acting in between. */
  beforeStart: (() => void) | undefined;
  #port = 0;
  readonly #server: Server;

  private constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  static async start(): Promise<DurableExtensionPeer> {
    const peer = new DurableExtensionPeer();
    await new Promise<void>((resolve) => peer.#server.listen(0, '127.0.0.1', () => resolve()));
    peer.#port = (peer.#server.address() as AddressInfo).port;
    return peer;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The durable client binding's data as the host passes it; `rpc: false` is an extension without the local RPC endpoint. */
  clientData(options: { readonly rpc: boolean }): Record<string, unknown> {
    const base = `${this.origin}/runtime/webhooks/durabletask`;
    const query = `taskHub=${TASK_HUB}&connection=Storage&code=${SYSTEM_KEY}`;
    return {
      taskHubName: TASK_HUB,
      creationUrls: {
        createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?code=${SYSTEM_KEY}`,
        createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&code=${SYSTEM_KEY}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${base}/instances/INSTANCEID?${query}`,
        sendEventPostUri: `${base}/instances/INSTANCEID/raiseEvent/{eventName}?${query}`,
        terminatePostUri: `${base}/instances/INSTANCEID/terminate?reason={text}&${query}`,
        rewindPostUri: `${base}/instances/INSTANCEID/rewind?reason={text}&${query}`,
        purgeHistoryDeleteUri: `${base}/instances/INSTANCEID?${query}`,
        restartPostUri: `${base}/instances/INSTANCEID/restart?${query}`,
        suspendPostUri: `${base}/instances/INSTANCEID/suspend?reason={text}&${query}`,
        resumePostUri: `${base}/instances/INSTANCEID/resume?reason={text}&${query}`,
      },
      baseUrl: base,
      requiredQueryStringParameters: `code=${SYSTEM_KEY}`,
      ...(options.rpc ? { rpcBaseUrl: `${this.origin}/durabletask/` } : {}),
    };
  }

  finish(instanceId: string, output: unknown, runtimeStatus = 'Completed'): void {
    const instance = this.instances.get(instanceId);
    if (!instance) throw new Error(`no instance ${instanceId}`);
    Object.assign(instance, { runtimeStatus, output, lastUpdatedTime: new Date().toISOString() });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.origin);
    this.requests.push({ method: req.method ?? '', url: url.toString() });
    const send = (status: number, json?: unknown): void => {
      res.writeHead(status, json === undefined ? {} : { 'content-type': 'application/json' });
      res.end(json === undefined ? undefined : JSON.stringify(json));
    };
    const path = url.pathname.replace(/^\/durabletask\//, '/').replace(/^\/runtime\/webhooks\/durabletask\//, '/');
    const start = /^\/orchestrators\/([^/]+)\/([^/]+)$/.exec(path);
    if (start && req.method === 'POST') this.beforeStart?.();
    if (this.failNext !== undefined) {
      const status = this.failNext;
      this.failNext = undefined;
      return send(status, { Message: 'Something went wrong while processing your request', request: url.toString() });
    }
    if (start && req.method === 'POST') return send(...this.#start(decodeURIComponent(start[1]!), decodeURIComponent(start[2]!), body));
    const event = /^\/instances\/([^/]+)\/raiseEvent\/([^/]+)$/.exec(path);
    if (event && req.method === 'POST') return send(...this.#raise(decodeURIComponent(event[1]!), decodeURIComponent(event[2]!), body, req.headers['content-type']));
    const status = /^\/instances\/([^/]+)$/.exec(path);
    if (status && req.method === 'GET') return send(...this.#status(decodeURIComponent(status[1]!)));
    send(404);
  }

  #start(name: string, instanceId: string, body: string): [number, unknown?] {
    const existing = this.instances.get(instanceId);
    // StartNewAsync throws InvalidOperationException for a running id; the handler turns it into a 500.
    if (existing && ['Running', 'Pending'].includes(existing.runtimeStatus)) return [500, { Message: 'Something went wrong while processing your request' }];
    const now = new Date().toISOString();
    this.instances.set(instanceId, {
      name,
      instanceId,
      runtimeStatus: 'Running',
      input: body === '' ? null : (JSON.parse(body) as unknown),
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
      events: [],
    });
    // The check-status payload: it carries the system key, which the adapter must never pass on.
    return [202, { id: instanceId, statusQueryGetUri: `${this.origin}/runtime/webhooks/durabletask/instances/${instanceId}?code=${SYSTEM_KEY}` }];
  }

  #status(instanceId: string): [number, unknown?] {
    const i = this.instances.get(instanceId);
    if (!i) return [404];
    const running = ['Running', 'Pending', 'ContinuedAsNew', 'Suspended'].includes(i.runtimeStatus);
    const { events: _events, ...payload } = i;
    return [running ? 202 : 200, { ...payload, historyEvents: null }];
  }

  #raise(instanceId: string, eventName: string, body: string, contentType: string | undefined): [number, unknown?] {
    const i = this.instances.get(instanceId);
    if (!i) return [404];
    if (['Completed', 'Failed', 'Terminated', 'Canceled'].includes(i.runtimeStatus)) return [410];
    if (!(contentType ?? '').toLowerCase().startsWith('application/json')) return [400, { Message: 'Only application/json request content is supported' }];
    i.events.push({ name: eventName, data: JSON.parse(body) as unknown, contentType });
    return [202];
  }
}
