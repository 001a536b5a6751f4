import { fenceKey, fenceRecordSchema, type FenceRecord } from '../contracts/fenceRecord';
import type { PairDefinition } from '../domain/pair';
import type { Logger } from '../ports/logger.port';
import type { StateStore } from '../ports/stateStore.port';

/**
 * The pair's fence record, or undefined (the configured Primary is active). One that does not
 * parse is logged and treated as absent, as before failovers existed: the failover trigger
 * refuses to act on it. The monitors read it here rather than through failoverFacts.readFence,
 * which depends on the monitors' record types.
 */
export async function fenceOrPrimary(deps: { readonly state: StateStore; readonly logger: Logger }, pair: PairDefinition): Promise<FenceRecord | undefined> {
  const stored = await deps.state.read<unknown>(fenceKey(pair.id));
  if (stored === undefined) return undefined;
  const parsed = fenceRecordSchema.safeParse(stored.value);
  if (parsed.success) return parsed.data;
  deps.logger.error('fence record unreadable: watching the configured Primary', { pair: pair.id, code: 'FENCE_RECORD_INVALID' });
  return undefined;
}
