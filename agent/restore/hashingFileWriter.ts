import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';

/** Bytes per disk write, and per hash update: large, so 1 GiB costs 128 writes instead of thousands. */
export const SLOT_BYTES = 8 * 1024 * 1024;
// Lets the socket keep reading while a slot is on its way to disk; bounded, so memory does not grow with size.
const STREAM_BUFFER = 1024 * 1024;

/**
 * Writes a stream into a new file (it must not exist) and hashes it (SHA-256) in order, with a
 * bounded memory: the network's small chunks are gathered into one of two 8 MiB slots; a full
 * slot is hashed and written at its offset while the other fills. Measured on a 2-core VM against
 * Azurite, this costs less CPU than a write per network chunk through a Transform and a
 * WriteStream (the hash update and the write syscall run once per 8 MiB, not per 64 KiB).
 */
export class HashingFileWriter extends Writable {
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly slots = [Buffer.allocUnsafeSlow(SLOT_BYTES), Buffer.allocUnsafeSlow(SLOT_BYTES)];
  /** The write still in flight from each slot: a slot is filled again only once it has landed. */
  private readonly writing: Promise<void>[] = [Promise.resolve(), Promise.resolve()];
  private current = 0;
  private filled = 0;
  /** Bytes handed to the disk so far: where the next slot goes in the file. */
  private flushed = 0;
  private handle: FileHandle | undefined;
  private lastReport = performance.now();
  private readonly closedPromise: Promise<void>;
  private markClosed!: () => void;

  constructor(
    private readonly file: string,
    private readonly total: number,
    private readonly onProgress: ((bytes: number, total: number) => void) | undefined,
    private readonly intervalMs: number,
  ) {
    super({ highWaterMark: STREAM_BUFFER });
    this.closedPromise = new Promise((resolve) => (this.markClosed = resolve));
  }

  override _construct(callback: (error?: Error | null) => void): void {
    open(this.file, 'wx').then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (error: Error) => callback(error),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.bytes += chunk.length;
    this.report();
    this.take(chunk, 0).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.flush()
      .then(() => Promise.all(this.writing))
      .then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Pending writes settle before the handle closes, so the file can be deleted at once (Windows
    // refuses to delete an open file).
    const handle = this.handle;
    this.handle = undefined;
    Promise.allSettled(this.writing)
      .then(() => handle?.close())
      .then(
        () => callback(error),
        (closeError: Error) => callback(error ?? closeError),
      )
      .finally(this.markClosed);
  }

  /** Settles once the file is closed, whether the stream finished or failed. */
  fileClosed(): Promise<void> {
    return this.closedPromise;
  }

  digest(): string {
    return this.hash.digest('hex');
  }

  finish(): void {
    this.onProgress?.(this.bytes, this.total);
  }

  private async take(chunk: Buffer, from: number): Promise<void> {
    let offset = from;
    while (offset < chunk.length) {
      const slot = this.slots[this.current]!;
      const copied = chunk.copy(slot, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === SLOT_BYTES) await this.flush();
    }
  }

  /** Hashes the current slot, starts its write and moves on to the other slot, once that one has landed. */
  private async flush(): Promise<void> {
    if (this.filled === 0) return;
    const index = this.current;
    const data = this.slots[index]!.subarray(0, this.filled);
    this.hash.update(data);
    this.writing[index] = writeAll(this.handle!, data, this.flushed);
    this.flushed += this.filled;
    this.filled = 0;
    this.current = 1 - index;
    await this.writing[this.current];
  }

  private report(): void {
    if (this.onProgress === undefined) return;
    const now = performance.now();
    if (now - this.lastReport >= this.intervalMs) {
      this.lastReport = now;
      this.onProgress(this.bytes, this.total);
    }
  }
}

/** FileHandle.write may write less than asked (a full disk at the edge): the rest is written or the error surfaces. */
async function writeAll(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
