/**
 * The slice of TDS 7.4 (MS-TDS) that the test peer speaks: what tedious sends and what it needs
 * back. Integers are little-endian unless noted; strings are UCS-2, counted in characters.
 */

export const PacketType = { batch: 0x01, rpc: 0x03, reply: 0x04, attention: 0x06, login7: 0x10, prelogin: 0x12 } as const;

export type TdsColumnType = 'nvarchar' | 'int' | 'bit' | 'datetime2' | 'bigint';
export type TdsParamType = TdsColumnType | 'varchar';
export interface TdsColumn {
  readonly name: string;
  readonly type: TdsColumnType;
}
export interface TdsParam {
  readonly type: TdsParamType;
  readonly value: string | number | bigint | boolean | Date | null;
}
export type TdsResult =
  | { readonly columns: readonly TdsColumn[]; readonly rows: readonly (readonly unknown[])[] }
  | { readonly error: { readonly number: number; readonly message: string } }
  | { readonly rowsAffected: number };

export interface TdsMessage {
  readonly type: number;
  /** The client abandoned the message before finishing it (status bit 0x02). */
  readonly ignore: boolean;
  readonly payload: Buffer;
}

const HEADER = 8;
const END_OF_MESSAGE = 0x01;
// SQL_Latin1_General_CP1_CI_AS: without a collation tedious refuses VarChar parameters.
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34]);
const TDS_7_4 = Buffer.from([0x74, 0x00, 0x00, 0x04]); // big-endian, unlike the rest
const DAYS_0001_TO_1970 = 719_162;
const MS_PER_DAY = 86_400_000;

/** Reassembles messages from a byte stream; one message may span many packets. */
export class MessageReader {
  private pending = Buffer.alloc(0);
  private parts: Buffer[] = [];

  push(chunk: Buffer): TdsMessage[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    const messages: TdsMessage[] = [];
    while (this.pending.length >= HEADER) {
      const length = this.pending.readUInt16BE(2);
      if (length < HEADER) throw new Error(`malformed TDS packet (length ${length})`);
      if (this.pending.length < length) break;
      const [type = 0, status = 0] = this.pending;
      this.parts.push(this.pending.subarray(HEADER, length));
      this.pending = this.pending.subarray(length);
      if (status & END_OF_MESSAGE) {
        messages.push({ type, ignore: (status & 0x02) !== 0, payload: Buffer.concat(this.parts) });
        this.parts = [];
      }
    }
    return messages;
  }
}

/** Frames a reply into packets of the negotiated size. */
export function framePackets(payload: Buffer, packetSize: number): Buffer {
  const room = packetSize - HEADER;
  const frames: Buffer[] = [];
  for (let offset = 0, id = 1; offset === 0 || offset < payload.length; offset += room, id++) {
    const body = payload.subarray(offset, offset + room);
    const header = Buffer.alloc(HEADER);
    header.writeUInt8(PacketType.reply, 0);
    header.writeUInt8(offset + room >= payload.length ? END_OF_MESSAGE : 0, 1);
    header.writeUInt16BE(HEADER + body.length, 2);
    header.writeUInt16BE(52, 4); // session id: any non-zero value
    header.writeUInt8(id % 256, 6);
    frames.push(header, body);
  }
  return Buffer.concat(frames);
}

class Writer {
  private readonly parts: Buffer[] = [];
  raw(...bytes: Buffer[]): this {
    this.parts.push(...bytes);
    return this;
  }
  uint(n: number | bigint, bytes: 1 | 2 | 4 | 8): this {
    const b = Buffer.alloc(bytes);
    if (bytes === 8) b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(n)));
    else b.writeUIntLE(Number(n), 0, bytes);
    return this.raw(b);
  }
  text(s: string, lengthBytes: 1 | 2): this {
    return this.uint(s.length, lengthBytes).raw(Buffer.from(s, 'ucs2'));
  }
  /** A token whose body is preceded by its USHORT length (ENVCHANGE, LOGINACK, ERROR). */
  sized(token: number, body: Writer): this {
    const bytes = body.build();
    return this.uint(token, 1).uint(bytes.length, 2).raw(bytes);
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.offset >= this.buf.length;
  }
  take(n: number): Buffer {
    if (this.offset + n > this.buf.length) throw new Error('TDS message ended early');
    this.offset += n;
    return this.buf.subarray(this.offset - n, this.offset);
  }
  uint(bytes: number): number {
    return this.take(bytes).readUIntLE(0, bytes);
  }
  ucs2(chars: number): string {
    return this.take(chars * 2).toString('ucs2');
  }
  /** PLP (max-length) data: total length, then chunks until a zero-length one. */
  plp(): Buffer | null {
    if (this.take(8).readBigUInt64LE(0) === 0xffffffffffffffffn) return null;
    const chunks: Buffer[] = [];
    for (let size = this.uint(4); size > 0; size = this.uint(4)) chunks.push(this.take(size));
    return Buffer.concat(chunks);
  }
}

export function preloginReply(): Buffer {
  // VERSION, ENCRYPTION = NOT_SUP (so tedious stays on plain TCP), INSTOPT, THREADID, MARS.
  const options: [number, Buffer][] = [
    [0x00, Buffer.from([16, 0, 0x10, 0x00, 0, 0])],
    [0x01, Buffer.from([0x02])],
    [0x02, Buffer.from([0x00])],
    [0x03, Buffer.alloc(4)],
    [0x04, Buffer.from([0x00])],
  ];
  const table = Buffer.alloc(options.length * 5 + 1, 0xff);
  let dataOffset = table.length;
  options.forEach(([token, data], i) => {
    table.writeUInt8(token, i * 5);
    table.writeUInt16BE(dataOffset, i * 5 + 1);
    table.writeUInt16BE(data.length, i * 5 + 3);
    dataOffset += data.length;
  });
  return Buffer.concat([table, ...options.map(([, data]) => data)]);
}

export interface Login7 {
  readonly packetSize: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export function decodeLogin7(payload: Buffer): Login7 {
  const field = (at: number): Buffer => {
    const offset = payload.readUInt16LE(at);
    return payload.subarray(offset, offset + payload.readUInt16LE(at + 2) * 2);
  };
  // The password is "obfuscated": each byte had its nibbles swapped, then was XORed with 0xA5.
  const password = field(44).map((scrambled) => {
    const b = scrambled ^ 0xa5;
    return ((b & 0x0f) << 4) | (b >> 4);
  });
  return {
    packetSize: payload.readUInt32LE(8),
    user: field(40).toString('ucs2'),
    password: Buffer.from(password).toString('ucs2'),
    database: field(68).toString('ucs2'),
  };
}

const Token = { envChange: 0xe3, done: 0xfd, doneProc: 0xfe, doneInProc: 0xff } as const;
const Done = { more: 0x01, error: 0x02, count: 0x10, attention: 0x20 } as const;

function envChange(type: number, value: string, old: string): Buffer {
  return new Writer().sized(Token.envChange, new Writer().uint(type, 1).text(value, 1).text(old, 1)).build();
}

function done(token: number, status: number, rowCount = 0): Buffer {
  return new Writer().uint(token, 1).uint(status, 2).uint(0xc1, 2).uint(rowCount, 8).build();
}

function errorToken(number: number, message: string, severity: number): Buffer {
  const body = new Writer().uint(number, 4).uint(1, 1).uint(severity, 1).text(message, 2).text('tdspeer', 1).text('', 1).uint(1, 4);
  return new Writer().sized(0xaa, body).build();
}

export function loginAccepted(database: string, packetSize: number): Buffer {
  const collation = new Writer().uint(7, 1).uint(5, 1).raw(COLLATION).uint(0, 1);
  const loginAck = new Writer().uint(1, 1).raw(TDS_7_4).text('tdspeer', 1).raw(Buffer.from([16, 0, 0, 1]));
  return Buffer.concat([
    envChange(1, database, 'master'),
    new Writer().sized(Token.envChange, collation).build(),
    envChange(2, 'us_english', ''),
    new Writer().sized(0xad, loginAck).build(),
    envChange(4, String(packetSize), '4096'),
    done(Token.done, 0),
  ]);
}

export function loginRefused(user: string): Buffer {
  return Buffer.concat([errorToken(18456, `Login failed for user '${user}'.`, 14), done(Token.done, Done.error)]);
}

/** What tedious waits for after ATTENTION: the cancelled reply, then (separately) this. */
export const CANCELLED_REPLY = done(Token.done, 0);
export const ATTENTION_ACK = done(Token.done, Done.attention);

export function resultReply(kind: 'rpc' | 'batch', result: TdsResult): Buffer {
  if ('error' in result) {
    return Buffer.concat([errorToken(result.error.number, result.error.message, 16), done(kind === 'rpc' ? Token.doneProc : Token.done, Done.error)]);
  }
  const tokens: Buffer[] = [];
  if ('columns' in result && result.columns.length > 0) {
    tokens.push(colMetadata(result.columns), ...result.rows.map((row) => rowToken(result.columns, row)));
  }
  const count = 'rowsAffected' in result ? result.rowsAffected : result.rows.length;
  if (kind === 'batch') return Buffer.concat([...tokens, done(Token.done, Done.count, count)]);
  // A procedure call: statement done, RETURNSTATUS 0, procedure done.
  return Buffer.concat([...tokens, done(Token.doneInProc, Done.count | Done.more, count), Buffer.from([0x79, 0, 0, 0, 0]), done(Token.doneProc, 0)]);
}

const TYPE_INFO: Record<TdsColumnType, Buffer> = {
  nvarchar: Buffer.concat([Buffer.from([0xe7, 0x40, 0x1f]), COLLATION]), // nvarchar(4000): 8000 bytes
  int: Buffer.from([0x26, 4]),
  bigint: Buffer.from([0x26, 8]),
  bit: Buffer.from([0x68, 1]),
  datetime2: Buffer.from([0x2a, 7]),
};

function colMetadata(columns: readonly TdsColumn[]): Buffer {
  const w = new Writer().uint(0x81, 1).uint(columns.length, 2);
  for (const column of columns) w.uint(0, 4).uint(0x0001, 2).raw(TYPE_INFO[column.type]).text(column.name, 1); // flags: nullable
  return w.build();
}

function rowToken(columns: readonly TdsColumn[], row: readonly unknown[]): Buffer {
  const w = new Writer().uint(0xd1, 1);
  columns.forEach((column, i) => {
    const value = row[i];
    if (value === null || value === undefined) {
      w.uint(column.type === 'nvarchar' ? 0xffff : 0, column.type === 'nvarchar' ? 2 : 1);
      return;
    }
    switch (column.type) {
      case 'nvarchar': {
        const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'ucs2');
        if (bytes.length > 8000) throw new Error(`value of ${column.name} exceeds nvarchar(4000)`);
        return void w.uint(bytes.length, 2).raw(bytes);
      }
      case 'int':
        return void w.uint(4, 1).uint(Number(value) >>> 0, 4);
      case 'bigint':
        return void w.uint(8, 1).uint(BigInt(value as number | bigint | string), 8);
      case 'bit':
        return void w.uint(1, 1).uint(value ? 1 : 0, 1);
      case 'datetime2':
        return void w.uint(8, 1).raw(datetime2(value instanceof Date ? value.getTime() : Number(value)));
    }
  });
  return w.build();
}

/** datetime2(7): 100 ns ticks since midnight (5 bytes), then days since 0001-01-01 (3 bytes). */
function datetime2(epochMs: number): Buffer {
  const day = Math.floor(epochMs / MS_PER_DAY);
  const b = Buffer.alloc(8);
  b.writeUIntLE((epochMs - day * MS_PER_DAY) * 10_000, 0, 5);
  b.writeUIntLE(day + DAYS_0001_TO_1970, 5, 3);
  return b;
}

export function decodeBatch(payload: Buffer): string {
  return payload.subarray(payload.readUInt32LE(0)).toString('ucs2'); // after ALL_HEADERS
}

export interface RpcCall {
  /** sp_executesql is procedure id 10; named procedures come as text. */
  readonly procedure: number | string;
  readonly params: readonly (TdsParam & { readonly name: string })[];
}

export function decodeRpc(payload: Buffer): RpcCall {
  const r = new Reader(payload);
  r.take(payload.readUInt32LE(0)); // ALL_HEADERS (transaction descriptor)
  const nameLength = r.uint(2);
  const procedure = nameLength === 0xffff ? r.uint(2) : r.ucs2(nameLength);
  r.uint(2); // option flags
  const params: (TdsParam & { name: string })[] = [];
  while (!r.done) {
    const name = r.ucs2(r.uint(1)).replace(/^@/, '');
    r.uint(1); // status: output or default
    params.push({ name, ...readTypedValue(r) });
  }
  return { procedure, params };
}

function readTypedValue(r: Reader): TdsParam {
  const typeId = r.uint(1);
  switch (typeId) {
    case 0xe7:
    case 0xa7: {
      const [type, encoding] = typeId === 0xe7 ? (['nvarchar', 'ucs2'] as const) : (['varchar', 'latin1'] as const);
      const maxLength = r.uint(2);
      r.take(COLLATION.length);
      if (maxLength === 0xffff) return { type, value: r.plp()?.toString(encoding) ?? null };
      const length = r.uint(2);
      return { type, value: length === 0xffff ? null : r.take(length).toString(encoding) };
    }
    case 0x26: {
      const size = r.uint(1);
      const bytes = r.take(r.uint(1));
      if (size === 8) return { type: 'bigint', value: bytes.length === 0 ? null : bytes.readBigInt64LE(0) };
      return { type: 'int', value: bytes.length === 0 ? null : bytes.readIntLE(0, bytes.length) };
    }
    case 0x68: {
      r.uint(1);
      const bytes = r.take(r.uint(1));
      return { type: 'bit', value: bytes.length === 0 ? null : bytes[0] !== 0 };
    }
    case 0x2a: {
      const scale = r.uint(1);
      const length = r.uint(1);
      if (length === 0) return { type: 'datetime2', value: null };
      const ticks = r.uint(length - 3);
      const days = r.uint(3);
      return { type: 'datetime2', value: new Date((days - DAYS_0001_TO_1970) * MS_PER_DAY + ticks / 10 ** (scale - 3)) };
    }
    default:
      throw new Error(`test peer cannot decode parameter type 0x${typeId.toString(16)}`);
  }
}
