import type { FenceRecord } from '../../shared/contracts/fenceRecord';

/**
 * Reads the pair's fence record. Resolves undefined when none was ever written (epoch 0, nothing
 * fenced); rejects when it cannot tell (storage unreachable, record unreadable or invalid): the
 * caller then fails closed for anything that could start adTempus.
 */
export interface FenceReader {
  read(pairId: string): Promise<FenceRecord | undefined>;
}
