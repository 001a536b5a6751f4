import type { FileHandle } from 'node:fs/promises';
import { AgentError } from '../agentErrors';

/**
 * Fills `buffer` from the file at `position`. A file that ends early has shrunk since it was
 * measured, so what was read so far belongs to no consistent version of it.
 */
export async function readFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  for (let filled = 0; filled < buffer.length; ) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, position + filled);
    if (bytesRead === 0) throw new AgentError('BACKUP_CHANGED', 'The backup file shrank while it was being read', { expectedBytes: position + buffer.length, readBytes: position + filled });
    filled += bytesRead;
  }
}
