export type Severity = 'critical' | 'warning' | 'info' | 'resolved';

export interface Fact {
  readonly name: string;
  readonly value: string;
}

/** A message for people, independent of the channel that carries it. */
export interface Notification {
  /** Stable per event: the same transition always yields the same id (de-duplication). */
  readonly id: string;
  readonly pairId: string;
  /** Which condition this is about, e.g. "heartbeat" or "backup". */
  readonly condition: string;
  readonly severity: Severity;
  readonly title: string;
  /** One or two sentences: what happened and since when. */
  readonly summary: string;
  readonly since: string;
  readonly createdAt: string;
  /** The evidence, as name/value pairs. */
  readonly facts: readonly Fact[];
  /** What a person should do now. */
  readonly nextSteps: readonly string[];
  /** Where to look (the watchdog's status route), when configured. */
  readonly link?: string;
}
