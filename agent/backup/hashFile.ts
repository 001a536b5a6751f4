import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { readFully } from './readFully';

const CHUNK = 1024 * 1024;

/** SHA-256 (hex) of the first `sizeBytes` of an open file, read in fixed chunks (memory stays at one chunk). */
export async function hashFile(handle: FileHandle, sizeBytes: number): Promise<string> {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(sizeBytes, 1)));
  for (let offset = 0; offset < sizeBytes; ) {
    const chunk = buffer.subarray(0, Math.min(buffer.length, sizeBytes - offset));
    await readFully(handle, chunk, offset);
    hash.update(chunk);
    offset += chunk.length;
  }
  return hash.digest('hex');
}
