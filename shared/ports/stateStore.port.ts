/** A small JSON record and the version it was read at. */
export interface Versioned<T> {
  readonly value: T;
  readonly etag: string;
}

/** `etag` = replace only that version; `absent` = create only if no record exists. */
export type WriteCondition = { readonly etag: string } | { readonly absent: true };

export type WriteResult = { readonly ok: true; readonly etag: string } | { readonly ok: false; readonly reason: 'conflict' };

/**
 * Watchdog state kept as small JSON records. Every write is conditional, so two executions can
 * never silently overwrite each other: the loser gets `conflict` and re-reads.
 */
export interface StateStore {
  read<T>(key: string): Promise<Versioned<T> | undefined>;
  write<T>(key: string, value: T, condition: WriteCondition): Promise<WriteResult>;
}
