import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { replySchema, type AgentReply, type CommandType } from '../../shared/contracts/agentCommands';
import { WatchdogError } from '../../shared/domain/errors';
import { writeFileAtomic } from './atomicFile';

/**
 * What the agent must remember across restarts, in one JSON file in its state folder:
 * - the highest epoch seen, so a command older than a failover is refused even after a reboot;
 * - the commands processed, with their final reply, so a redelivered command is answered with
 *   its earlier result (`replayed: true`) instead of running twice;
 * - whether the last stop was ordered, and the last fence verdict, for the heartbeat.
 *
 * A command is recorded as `started` before it runs. If the agent dies before the final reply
 * is recorded, a redelivery finds `started`: the dispatcher re-runs only commands that are safe
 * to repeat and answers the others with "interrupted; re-issue" (see commandDispatcher.ts).
 *
 * Kept: the newest MAX_ENTRIES commands, none older than MAX_AGE. Commands expire within
 * minutes, so a redelivery after that is refused as expired before the ledger is consulted.
 */
export const LEDGER_MAX_ENTRIES = 1_000;
export const LEDGER_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
const FILE_NAME = 'agent-state.json';

const isoTime = z.string().datetime({ offset: true });
const commandTypeSchema = z.enum(['status', 'stopService', 'startService', 'restoreDatabase', 'shipBackups']);

const ledgerEntrySchema = z.discriminatedUnion('status', [
  z.object({ messageId: z.string(), commandType: commandTypeSchema, status: z.literal('started'), startedAt: isoTime }).strict(),
  z.object({ messageId: z.string(), commandType: commandTypeSchema, status: z.literal('done'), startedAt: isoTime, finishedAt: isoTime, reply: replySchema }).strict(),
]);

const fenceMemorySchema = z.object({ fenced: z.boolean(), epoch: z.number().int().min(0), activeHost: z.string().optional(), checkedAt: isoTime }).strict();
const serviceMemorySchema = z.object({ stopOrdered: z.boolean(), at: isoTime }).strict();

const stateFileSchema = z
  .object({
    version: z.literal(1),
    highestEpoch: z.number().int().min(0),
    epochRaisedAt: isoTime.optional(),
    fence: fenceMemorySchema.optional(),
    service: serviceMemorySchema.optional(),
    commands: z.array(ledgerEntrySchema),
  })
  .strict();

export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;
export type FenceMemory = z.infer<typeof fenceMemorySchema>;
export type ServiceMemory = z.infer<typeof serviceMemorySchema>;
type StateFile = z.infer<typeof stateFileSchema>;

export interface AgentStateOptions {
  readonly now: () => Date;
  readonly maxEntries?: number;
  readonly maxAgeMs?: number;
}

export class AgentState {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private data: StateFile,
    private readonly options: AgentStateOptions,
  ) {}

  /**
   * Opens (or creates) the state in `dir`. An unreadable or invalid file stops the agent: forgetting
   * the epoch would let an old command through, so a person must look at it.
   */
  static async open(dir: string, options: AgentStateOptions): Promise<AgentState> {
    await mkdir(dir, { recursive: true });
    const path = join(dir, FILE_NAME);
    let text: string | undefined;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new WatchdogError('AGENT_STATE_UNREADABLE', `The agent's state file ${path} cannot be read`, { path }, { cause: error });
      }
    }
    if (text === undefined) return new AgentState(path, { version: 1, highestEpoch: 0, commands: [] }, options);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new WatchdogError('AGENT_STATE_CORRUPT', `The agent's state file ${path} is not valid JSON; fix or remove it (removing forgets the epoch and processed commands)`, { path }, { cause: error });
    }
    const result = stateFileSchema.safeParse(parsed);
    if (!result.success) {
      throw new WatchdogError('AGENT_STATE_CORRUPT', `The agent's state file ${path} does not have the expected shape (${result.error.issues.length} problems)`, { path });
    }
    return new AgentState(path, result.data, options);
  }

  get highestEpoch(): number {
    return this.data.highestEpoch;
  }

  /** Persists `epoch` when it is higher than any seen; resolves once it is on disk. True when raised. */
  async raiseEpoch(epoch: number): Promise<boolean> {
    if (epoch <= this.data.highestEpoch) return false;
    this.data = { ...this.data, highestEpoch: epoch, epochRaisedAt: this.options.now().toISOString() };
    await this.persist();
    return true;
  }

  entry(messageId: string): LedgerEntry | undefined {
    return this.data.commands.find((e) => e.messageId === messageId);
  }

  async recordStarted(messageId: string, commandType: CommandType): Promise<void> {
    const entry: LedgerEntry = { messageId, commandType, status: 'started', startedAt: this.options.now().toISOString() };
    this.data = { ...this.data, commands: [...this.data.commands.filter((e) => e.messageId !== messageId), entry] };
    await this.persist();
  }

  /** Stores the final reply; a redelivery of this messageId gets it back. */
  async recordFinished(messageId: string, commandType: CommandType, reply: AgentReply): Promise<void> {
    const now = this.options.now().toISOString();
    const startedAt = this.entry(messageId)?.startedAt ?? now;
    const entry: LedgerEntry = { messageId, commandType, status: 'done', startedAt, finishedAt: now, reply };
    this.data = { ...this.data, commands: [...this.data.commands.filter((e) => e.messageId !== messageId), entry] };
    await this.persist();
  }

  get fence(): FenceMemory | undefined {
    return this.data.fence;
  }

  async rememberFence(fence: FenceMemory): Promise<void> {
    const before = this.data.fence;
    if (before && before.fenced === fence.fenced && before.epoch === fence.epoch && before.activeHost === fence.activeHost) return;
    this.data = { ...this.data, fence };
    await this.persist();
  }

  get service(): ServiceMemory | undefined {
    return this.data.service;
  }

  async rememberStopOrdered(stopOrdered: boolean): Promise<void> {
    if (this.data.service?.stopOrdered === stopOrdered) return;
    this.data = { ...this.data, service: { stopOrdered, at: this.options.now().toISOString() } };
    await this.persist();
  }

  /** Writes the current state; writes run one after another, each with the newest content. */
  private persist(): Promise<void> {
    const run = this.writing.then(async () => {
      this.prune();
      await writeFileAtomic(this.path, JSON.stringify(this.data));
    });
    // One failed write must not poison the next; the caller of this one sees its failure.
    this.writing = run.catch(() => undefined);
    return run.catch((error: unknown) => {
      throw new WatchdogError('AGENT_STATE_WRITE_FAILED', `The agent's state could not be written to ${this.path}`, { path: this.path }, { cause: error });
    });
  }

  private prune(): void {
    const max = this.options.maxEntries ?? LEDGER_MAX_ENTRIES;
    const oldest = this.options.now().getTime() - (this.options.maxAgeMs ?? LEDGER_MAX_AGE_MS);
    // A started entry is the only record that a command may have half-run: it ages out like the rest, never earlier.
    const kept = this.data.commands.filter((e) => Date.parse(e.startedAt) >= oldest);
    if (kept.length !== this.data.commands.length || kept.length > max) this.data = { ...this.data, commands: kept.slice(-max) };
  }
}
