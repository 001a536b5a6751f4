import {
  COMMAND_CONTRACT_VERSION,
  type AgentErrorCode,
  type AgentReply,
  type CommandEnvelope,
  type CommandType,
  type ReplyKind,
} from '../../shared/contracts/agentCommands';
import type { Logger } from '../../shared/ports/logger.port';
import type { CommandContext, CommandHandlers, CommandOutcome, Progress } from '../commands/commandHandler';
import type { CommandProcessor, ProcessOutcome, ReceivedMeta } from '../commandProcessor';
import type { AgentState } from './agentState';
import { checkEnvelope, type ReplyAddress } from './checkEnvelope';
import type { FenceCheck, FenceGuard } from './fenceGuard';
import type { Mutex } from './mutex';
import { redact, redactDeep, withoutQuery } from './redact';
import { redactingLogger } from './redactingLogger';

type SendReply = (reply: AgentReply, replyTo: string) => Promise<void>;

export interface DispatcherDeps {
  readonly pairId: string;
  readonly host: string;
  readonly state: AgentState;
  readonly fenceGuard: FenceGuard;
  readonly handlers: CommandHandlers;
  /** Shared with the fence guard: service-changing work runs one at a time. */
  readonly serviceLock: Mutex;
  readonly now: () => Date;
  readonly log: Logger;
}

/**
 * Commands that may run again when an earlier delivery was interrupted mid-way: they converge on
 * the same end state. A half-done start or restore is not repeated blindly; the watchdog decides
 * (with a fresh messageId) after looking at the host's status.
 */
const SAFE_TO_RERUN: ReadonlySet<CommandType> = new Set(['status', 'stopService', 'shipBackups']);
/** What a fenced host still does: report, and stay stopped. */
const ALLOWED_WHEN_FENCED: ReadonlySet<CommandType> = new Set(['status', 'stopService']);
/** Could start adTempus or replace its data: refused while the fence record cannot be read. */
const NEEDS_READABLE_FENCE: ReadonlySet<CommandType> = new Set(['startService', 'restoreDatabase']);
const CHANGES_SERVICE: ReadonlySet<CommandType> = new Set(['stopService', 'startService', 'restoreDatabase']);

/**
 * The agent's side of the command contract. Gates run in this order, each refusing with a stable
 * code: size -> shape (poison) -> pair/host -> expiry -> epoch (a higher one is persisted before
 * anything runs) -> already processed (the stored reply is repeated, `replayed: true`) -> fence
 * record (read for every command). Then: accepted, `started` recorded, executed, final reply
 * recorded and sent. Every reply carries the highest epoch this agent has seen.
 *
 * A reply that cannot be sent rejects `handle`, so the transport abandons the message and it is
 * redelivered: either nothing ran yet, or the stored result is replayed.
 */
export class CommandDispatcher implements CommandProcessor {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly deps: DispatcherDeps) {}

  async handle(body: unknown, meta: ReceivedMeta, reply: SendReply): Promise<ProcessOutcome> {
    const checked = checkEnvelope(body, meta.bodyBytes);
    if (!checked.ok) {
      this.deps.log.warn('Command refused as poison', { code: checked.code, description: checked.description, messageId: meta.messageId, deliveryCount: meta.deliveryCount });
      if (checked.address !== undefined) await this.sendPoisonReply(checked.address, checked.code, checked.description, reply);
      return { kind: 'poison', reason: checked.code, description: checked.description };
    }
    const envelope = checked.envelope;
    // Two deliveries of one message at once (a lost lock): the second waits and then replays.
    const previous = this.inFlight.get(envelope.messageId);
    const run = (previous ?? Promise.resolve()).catch(() => undefined).then(() => this.process(envelope, reply));
    this.inFlight.set(envelope.messageId, run);
    try {
      await run;
    } finally {
      if (this.inFlight.get(envelope.messageId) === run) this.inFlight.delete(envelope.messageId);
    }
    return { kind: 'done' };
  }

  private async process(envelope: CommandEnvelope, send: SendReply): Promise<void> {
    const { deps } = this;
    const command = envelope.command;
    const secrets = command.type === 'restoreDatabase' ? [command.sasUrl] : [];
    const log = redactingLogger(deps.log, secrets);
    const base = { messageId: envelope.messageId, correlationId: envelope.correlationId, type: command.type, epoch: envelope.epoch };
    log.info('Command received', {
      ...base,
      ...(command.type === 'restoreDatabase' ? { backupName: command.backupName, source: withoutQuery(command.sasUrl) } : {}),
    });
    const respond = (kind: ReplyKind, extra: Partial<AgentReply> = {}): Promise<void> =>
      send(this.reply(envelope, kind, redactDeep(extra, secrets)), envelope.replyTo);
    const refuse = async (code: AgentErrorCode, message: string): Promise<void> => {
      log.warn('Command refused', { ...base, code, reason: message });
      await respond('failed', { error: { code, message } });
    };

    if (envelope.pairId !== deps.pairId) return refuse('WRONG_PAIR', `This agent serves pair ${deps.pairId}, not ${envelope.pairId}`);
    if (envelope.targetHost.toLowerCase() !== deps.host.toLowerCase()) return refuse('WRONG_HOST', `This agent runs on ${deps.host}, not ${envelope.targetHost}`);
    if (Date.parse(envelope.notAfter) < deps.now().getTime()) return refuse('EXPIRED', `The command expired at ${envelope.notAfter}`);
    if (envelope.epoch < deps.state.highestEpoch) {
      return refuse('STALE_EPOCH', `The command's epoch ${envelope.epoch} is older than epoch ${deps.state.highestEpoch}, which this agent has seen`);
    }
    try {
      await deps.state.raiseEpoch(envelope.epoch);
    } catch (error) {
      log.error('Epoch could not be persisted', { ...base, reason: messageOf(error) });
      return refuse('INTERNAL', 'The agent could not persist the epoch locally; nothing was done');
    }

    const earlier = deps.state.entry(envelope.messageId);
    if (earlier?.status === 'done') {
      log.info('Command already processed: repeating its result', base);
      await send({ ...earlier.reply, epoch: deps.state.highestEpoch, at: deps.now().toISOString(), replayed: true }, envelope.replyTo);
      return;
    }
    if (earlier?.status === 'started' && !SAFE_TO_RERUN.has(command.type)) {
      log.warn('Command was interrupted earlier and is not repeated', base);
      return this.finish(envelope, respond, log, {
        ok: false,
        code: 'INTERNAL',
        message: `interrupted: an earlier delivery of this ${command.type} started at ${earlier.startedAt} and the agent stopped before it finished; check status and re-issue with a new messageId`,
      });
    }

    const fence = await this.readFence(command.type, log);
    if (!fence.ok && (NEEDS_READABLE_FENCE.has(command.type) || (fence.fenced && !ALLOWED_WHEN_FENCED.has(command.type)))) {
      return this.finish(envelope, respond, log, {
        ok: false,
        code: 'FENCE_UNAVAILABLE',
        message: `Refused (fail closed): ${fence.problem}, so this agent cannot tell whether this host may run adTempus; retry once storage is reachable`,
      });
    }
    if (fence.ok && fence.record !== undefined && fence.record.epoch > envelope.epoch) {
      return refuse('STALE_EPOCH', `The command's epoch ${envelope.epoch} is older than the fence record's epoch ${fence.record.epoch}`);
    }
    if (fence.fenced && !ALLOWED_WHEN_FENCED.has(command.type)) {
      return this.finish(envelope, respond, log, {
        ok: false,
        code: 'FENCED',
        message: `This host is fenced (the active host is ${fence.ok ? (fence.record?.activeHost ?? 'another host') : 'another host'}); only status and stopService run here`,
      });
    }

    await respond('accepted');
    try {
      await deps.state.recordStarted(envelope.messageId, command.type);
    } catch (error) {
      log.error('Command could not be recorded as started', { ...base, reason: messageOf(error) });
      return refuse('INTERNAL', 'The agent could not record the command locally; nothing was done');
    }
    const context: CommandContext = {
      envelope,
      fenced: fence.fenced,
      log,
      progress: async (progress: Progress): Promise<void> => {
        try {
          await respond('progress', { progress });
        } catch (error) {
          log.warn('Progress reply not sent', { ...base, reason: messageOf(error) });
        }
      },
    };
    const execute = (): Promise<CommandOutcome> => this.execute(envelope, context);
    const outcome = CHANGES_SERVICE.has(command.type) ? await deps.serviceLock.runExclusive(execute) : await execute();
    await this.finish(envelope, respond, log, outcome, secrets);
  }

  /** Runs the handler; an unexpected throw becomes INTERNAL with a redacted message. */
  private async execute(envelope: CommandEnvelope, context: CommandContext): Promise<CommandOutcome> {
    try {
      const handler = this.deps.handlers[envelope.command.type] as (c: CommandEnvelope['command'], ctx: CommandContext) => Promise<CommandOutcome>;
      return await handler(envelope.command, context);
    } catch (error) {
      context.log.error('Command failed unexpectedly', { messageId: envelope.messageId, type: envelope.command.type, reason: messageOf(error) });
      return { ok: false, code: 'INTERNAL', message: `Unexpected failure: ${messageOf(error)}` };
    }
  }

  /** Records the final reply (so a redelivery replays it), then sends it. */
  private async finish(
    envelope: CommandEnvelope,
    respond: (kind: ReplyKind, extra?: Partial<AgentReply>) => Promise<void>,
    log: Logger,
    outcome: CommandOutcome,
    secrets: readonly string[] = [],
  ): Promise<void> {
    const extra: Partial<AgentReply> = outcome.ok
      ? { result: redactDeep({ ...outcome.result }, secrets) }
      : { error: { code: outcome.code, message: bounded(redact(outcome.message, secrets)) }, ...(outcome.result !== undefined ? { result: redactDeep({ ...outcome.result }, secrets) } : {}) };
    const kind: ReplyKind = outcome.ok ? 'succeeded' : 'failed';
    try {
      await this.deps.state.recordFinished(envelope.messageId, envelope.command.type, this.reply(envelope, kind, extra));
    } catch (error) {
      // The reply still goes out; only a redelivery would lack it (and then find "started").
      log.error('Command result could not be recorded', { messageId: envelope.messageId, reason: messageOf(error) });
    }
    log.info(outcome.ok ? 'Command succeeded' : 'Command failed', {
      messageId: envelope.messageId,
      type: envelope.command.type,
      ...(outcome.ok ? {} : { code: outcome.code, reason: outcome.message }),
    });
    await respond(kind, extra);
  }

  private async readFence(type: CommandType, log: Logger): Promise<FenceCheck> {
    try {
      return await this.deps.fenceGuard.checkAndEnforce();
    } catch (error) {
      // The verdict could not be persisted (local disk): as unsafe to act on as an unreadable record.
      log.error('Fence check failed', { type, reason: messageOf(error) });
      return { ok: false, fenced: this.deps.fenceGuard.fenced, problem: 'the fence verdict could not be recorded locally' };
    }
  }

  private async sendPoisonReply(address: ReplyAddress, code: AgentErrorCode, description: string, send: SendReply): Promise<void> {
    const reply: AgentReply = {
      contract: COMMAND_CONTRACT_VERSION,
      kind: 'failed',
      inReplyTo: address.messageId,
      correlationId: address.correlationId,
      pairId: this.deps.pairId,
      host: this.deps.host,
      epoch: this.deps.state.highestEpoch,
      commandType: address.commandType,
      at: this.deps.now().toISOString(),
      error: { code, message: bounded(description) },
    };
    try {
      await send(reply, address.replyTo);
    } catch (error) {
      // The dead-letter record is the durable trace; a poison message is not retried for its reply.
      this.deps.log.warn('Failed reply to a poison message not sent', { messageId: address.messageId, reason: messageOf(error) });
    }
  }

  private reply(envelope: CommandEnvelope, kind: ReplyKind, extra: Partial<AgentReply>): AgentReply {
    return {
      contract: COMMAND_CONTRACT_VERSION,
      kind,
      inReplyTo: envelope.messageId,
      correlationId: envelope.correlationId,
      // The replier's identity: on WRONG_PAIR/WRONG_HOST that is not what the command named.
      pairId: this.deps.pairId,
      host: this.deps.host,
      epoch: this.deps.state.highestEpoch,
      commandType: envelope.command.type,
      at: this.deps.now().toISOString(),
      ...extra,
    };
  }
}

function bounded(message: string): string {
  return message.length > 2000 ? `${message.slice(0, 1999)}…` : message;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : 'unknown error';
}
