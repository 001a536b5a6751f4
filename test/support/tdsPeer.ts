import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  ATTENTION_ACK,
  CANCELLED_REPLY,
  MessageReader,
  PacketType,
  decodeBatch,
  decodeLogin7,
  decodeRpc,
  framePackets,
  loginAccepted,
  loginRefused,
  preloginReply,
  resultReply,
  type TdsMessage,
  type TdsParam,
  type TdsResult,
} from './tdsWire';

export type { TdsColumn, TdsColumnType, TdsParam, TdsParamType, TdsResult } from './tdsWire';

/**
 * A SQL Server stand-in on 127.0.0.1 that the real mssql/tedious client logs into and queries
 * over TCP, for tests, the local lab and benchmarks (no jest imports: tsc compiles it). It cannot
 * parse T-SQL: a responder decides each answer from the request's text and typed parameters.
 */

export interface TdsLogin {
  readonly user: string;
  readonly password: string;
}

export interface TdsRequest {
  readonly kind: 'rpc' | 'batch';
  /** Batch text, the statement of an sp_executesql call, or a called procedure's name. */
  readonly sql: string;
  /** By name without the '@'; sp_executesql's own @statement and @params are left out. */
  readonly params: Readonly<Record<string, TdsParam>>;
  readonly user: string;
  readonly database: string;
}

export type TdsResponder = (request: TdsRequest) => TdsResult | Promise<TdsResult>;

export interface TdsPeerOptions {
  readonly logins?: readonly TdsLogin[];
  readonly respond?: TdsResponder;
  readonly latencyMs?: number;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
}

export const DEFAULT_LOGIN: TdsLogin = { user: 'watchdog', password: 'Test-Passw0rd' };
const SP_EXECUTESQL = 10;
const REQUESTS_KEPT = 200;

/**
 * Answers what every client session sends whatever the test is about: tedious's `set ...` batch
 * after login and mssql's `SELECT 1;` connection check. Undefined for anything else.
 */
export function sessionChatter(request: TdsRequest): TdsResult | undefined {
  if (request.kind === 'batch' && /^\s*set\s/i.test(request.sql)) return { rowsAffected: 0 };
  if (/^\s*select\s+1\s*;?\s*$/i.test(request.sql)) return { columns: [{ name: '', type: 'int' }], rows: [[1]] };
  return undefined;
}

const unanswered: TdsResponder = (request) =>
  sessionChatter(request) ?? { error: { number: 50000, message: `test peer has no answer for: ${request.sql.slice(0, 200)}` } };

export class TdsPeer {
  respond: TdsResponder;
  latencyMs: number;
  /** Successful logins since start. */
  loginCount = 0;
  failedLoginCount = 0;
  private readonly recent: TdsRequest[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private idleWaiters: (() => void)[] = [];
  private loginsToFail = 0;
  private requestsToDrop = 0;
  private hanging = false;

  private constructor(
    private readonly server: Server,
    private readonly logins: readonly TdsLogin[],
    options: TdsPeerOptions,
  ) {
    this.respond = options.respond ?? unanswered;
    this.latencyMs = options.latencyMs ?? 0;
  }

  static async start(options: TdsPeerOptions = {}): Promise<TdsPeer> {
    const server = createServer();
    const peer = new TdsPeer(server, options.logins ?? [DEFAULT_LOGIN], options);
    server.on('connection', (socket) => peer.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    return peer;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Client connections open right now. */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Resolves once no client connection is open. */
  whenIdle(): Promise<void> {
    if (this.sockets.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The most recent requests, oldest first, session chatter included. */
  get requests(): readonly TdsRequest[] {
    return this.recent;
  }

  failNextLogins(count: number): void {
    this.loginsToFail = count;
  }

  /**
   * While on, requests are never answered; only an ATTENTION from the client ends one. That
   * includes the batch tedious sends right after login, so new connections never open either.
   */
  hang(on = true): void {
    this.hanging = on;
  }

  /** Closes the connection as soon as the next request arrives, leaving it unanswered. */
  dropNextRequest(count = 1): void {
    this.requestsToDrop = count;
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size > 0) return;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
    socket.on('error', () => socket.destroy()); // clients vanish mid-stream in fault tests
    const session: Session = { socket, packetSize: 4096, user: '', database: '', loggedIn: false, pending: undefined };
    const reader = new MessageReader();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const message of reader.push(chunk)) void this.handle(session, message);
      } catch {
        socket.destroy();
      }
    });
  }

  private async handle(session: Session, message: TdsMessage): Promise<void> {
    const send = (payload: Buffer): void => {
      if (!session.socket.destroyed) session.socket.write(framePackets(payload, session.packetSize));
    };
    switch (message.type) {
      case PacketType.prelogin:
        return send(preloginReply());
      case PacketType.login7:
        return this.login(session, message.payload, send);
      case PacketType.attention: {
        if (session.pending) {
          session.pending.cancelled = true;
          session.pending = undefined;
          send(CANCELLED_REPLY);
        }
        return send(ATTENTION_ACK);
      }
      case PacketType.batch:
      case PacketType.rpc:
        if (!session.loggedIn) return void session.socket.destroy();
        return this.answer(session, message, send);
      default:
        session.socket.destroy();
    }
  }

  private login(session: Session, payload: Buffer, send: (payload: Buffer) => void): void {
    const login = decodeLogin7(payload);
    const known = this.logins.some((l) => l.user === login.user && l.password === login.password);
    if (!known || this.loginsToFail > 0) {
      this.loginsToFail = Math.max(0, this.loginsToFail - 1);
      this.failedLoginCount++;
      return send(loginRefused(login.user));
    }
    this.loginCount++;
    session.loggedIn = true;
    session.user = login.user;
    session.database = login.database || 'master';
    // Granted as asked within SQL Server's limits; the ENVCHANGE in the reply tells tedious.
    const packetSize = Math.min(32_767, Math.max(512, login.packetSize));
    send(loginAccepted(session.database, packetSize));
    session.packetSize = packetSize;
  }

  private async answer(session: Session, message: TdsMessage, send: (payload: Buffer) => void): Promise<void> {
    const kind = message.type === PacketType.rpc ? 'rpc' : 'batch';
    // The client gave up while still sending it: whatever arrived is incomplete.
    if (message.ignore) return send(CANCELLED_REPLY);
    let request: TdsRequest;
    try {
      request = { kind, ...this.decode(kind, message.payload), user: session.user, database: session.database };
    } catch (error) {
      return send(resultReply(kind, { error: { number: 50000, message: (error as Error).message } }));
    }
    this.recent.push(request);
    if (this.recent.length > REQUESTS_KEPT) this.recent.shift();
    if (this.requestsToDrop > 0) {
      this.requestsToDrop--;
      return void session.socket.destroy();
    }
    const pending = { cancelled: false };
    session.pending = pending;
    if (this.hanging) return;
    if (this.latencyMs > 0) await this.delay(this.latencyMs);
    let result: TdsResult;
    try {
      result = await this.respond(request);
    } catch (error) {
      result = { error: { number: 50000, message: `test peer responder failed: ${(error as Error).message}` } };
    }
    if (pending.cancelled || session.socket.destroyed) return;
    session.pending = undefined;
    send(resultReply(kind, result));
  }

  private decode(kind: 'rpc' | 'batch', payload: Buffer): Pick<TdsRequest, 'sql' | 'params'> {
    if (kind === 'batch') return { sql: decodeBatch(payload), params: {} };
    const call = decodeRpc(payload);
    const params: Record<string, TdsParam> = {};
    const executesql = call.procedure === SP_EXECUTESQL;
    for (const { name, type, value } of executesql ? call.params.slice(1) : call.params) {
      if (!(executesql && name === 'params')) params[name] = { type, value };
    }
    const sql = executesql ? String(call.params[0]?.value ?? '') : String(call.procedure);
    return { sql, params };
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

interface Session {
  readonly socket: Socket;
  packetSize: number;
  user: string;
  database: string;
  loggedIn: boolean;
  /** The request being answered; ATTENTION cancels it. */
  pending: { cancelled: boolean } | undefined;
}

export interface LockRow {
  /** Machine name of the lock owner; null once released. */
  readonly owner: string | null;
  readonly heartbeatUtc: Date | null;
}

/**
 * An in-memory adTempus ownership lock per instance, on the peer's own clock. clockSkewMs
 * shifts that clock against the caller's, as a database server's clock may drift.
 */
export class LockTable {
  clockSkewMs = 0;
  private readonly rows = new Map<string, LockRow>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** Instance names compare case-insensitively, as under SQL Server's default collation. */
  set(instance: string, row: LockRow): void {
    this.rows.set(instance.toLowerCase(), row);
  }

  get(instance: string): LockRow | undefined {
    return this.rows.get(instance.toLowerCase());
  }

  delete(instance: string): void {
    this.rows.delete(instance.toLowerCase());
  }

  /** The database's current time: the peer's clock plus the skew. */
  now(): Date {
    return new Date(this.clock() + this.clockSkewMs);
  }
}

export const HEARTBEAT_RESULT_COLUMNS = [
  { name: 'owner', type: 'nvarchar' },
  { name: 'heartbeatUtc', type: 'datetime2' },
  { name: 'dbNowUtc', type: 'datetime2' },
] as const;

/**
 * Answers any request carrying @instance as the heartbeat query would against the lock table:
 * one row (owner, heartbeatUtc, dbNowUtc), or none for an unknown instance.
 */
export function lockTableResponder(table: LockTable): TdsResponder {
  return (request) => {
    const chatter = sessionChatter(request);
    if (chatter) return chatter;
    const instance = request.params['instance']?.value;
    if (typeof instance !== 'string') return unanswered(request);
    const row = table.get(instance);
    return { columns: HEARTBEAT_RESULT_COLUMNS, rows: row ? [[row.owner, row.heartbeatUtc, table.now()]] : [] };
  };
}
