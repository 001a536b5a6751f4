import { statfs } from 'node:fs/promises';
import type { DiskSpaceReader } from './collaborators.port';

/** Free space as the calling account may use it (bavail), which is what a download can actually fill. */
export const statfsDiskSpace: DiskSpaceReader = async (path) => {
  const stats = await statfs(path);
  return { freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
};
