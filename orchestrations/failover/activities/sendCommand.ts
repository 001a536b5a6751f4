import * as df from 'durable-functions';
import { z } from 'zod';
import { failoverDeps, type FailoverDeps } from '../../../shared/composition/failoverDeps';
import type { AgentCommand } from '../../../shared/contracts/agentCommands';
import type { SendCommandInput } from '../../../shared/contracts/failoverContract';
import type { PairDefinition } from '../../../shared/domain/pair';
import { agentHostName, buildCommandEnvelope } from '../../../shared/services/commandEnvelope';
import { findPair } from '../../../shared/services/failoverFacts';
import { ACTIVITIES } from '../../names';
import { ActivityInputError, parseActivityInput } from './activityInput';
import { hostRoleSchema, isoTimeSchema, pairIdSchema } from './activitySchemas';

/**
 * The restore's URL outlives the command's notAfter a little: the storage service's clock may run
 * behind ours, and an agent that accepted the command just before notAfter must still get its
 * first byte.
 */
export const RESTORE_URL_MARGIN_SECONDS = 300;

const restoreSpecSchema = z
  .object({
    type: z.literal('restoreDatabase'),
    backupName: z.string().min(1).max(1024),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits'),
    sizeBytes: z.number().int().positive(),
    timeoutSeconds: z.number().int().min(1).max(86_400),
  })
  .strict();

// Every other command is checked in full against the agents' contract when its envelope is built.
const sendCommandInputSchema = z
  .object({
    pairId: pairIdSchema,
    role: hostRoleSchema,
    messageId: z.string().uuid(),
    correlationId: z.string().min(1).max(128),
    epoch: z.number().int().min(0),
    issuedAt: isoTimeSchema,
    notAfter: isoTimeSchema,
    command: z.looseObject({ type: z.string().min(1).max(64) }),
  })
  .strict();

type SendCommandDeps = Pick<FailoverDeps, 'pairs' | 'backups' | 'commands' | 'inboxQueue' | 'logger'>;

/**
 * Sends one command to the agent on the pair's Primary or Secondary. A restore names its backup;
 * the read-only URL for it is made here and goes straight into the message, so it never enters
 * the durable history, a log line or an error. Sending the same input again is harmless: the
 * messageId is the input's, which the queue's duplicate detection and the agent's ledger drop.
 */
export function createSendCommandActivity(deps: SendCommandDeps) {
  return async (input: SendCommandInput, _context?: unknown): Promise<{ readonly sent: true }> => {
    const spec = parseActivityInput(ACTIVITIES.sendCommand, sendCommandInputSchema, input);
    const pair = findPair(deps.pairs, spec.pairId);
    const targetHost = agentHostName(pair[spec.role].hostName);
    const command = spec.command.type === 'restoreDatabase' ? await restoreCommand(deps, pair, spec.command, spec.notAfter) : (spec.command as AgentCommand);
    const envelope = buildCommandEnvelope(
      {
        messageId: spec.messageId,
        pairId: pair.id,
        targetHost,
        epoch: spec.epoch,
        issuedAt: spec.issuedAt,
        notAfter: spec.notAfter,
        replyTo: deps.inboxQueue,
        correlationId: spec.correlationId,
      },
      command,
    );
    await deps.commands().send(envelope);
    deps.logger.info('failover command sent', { pair: pair.id, role: spec.role, targetHost, commandType: command.type, messageId: spec.messageId, epoch: spec.epoch });
    return { sent: true };
  };
}

async function restoreCommand(deps: SendCommandDeps, pair: PairDefinition, raw: unknown, notAfter: string): Promise<AgentCommand> {
  const spec = parseActivityInput(ACTIVITIES.sendCommand, restoreSpecSchema, raw, ['command']);
  // The URL may only ever open one of this pair's own backups.
  if (!spec.backupName.startsWith(pair.backup.prefix) || spec.backupName.split('/').includes('..')) {
    throw new ActivityInputError(ACTIVITIES.sendCommand, [`command.backupName: must name a backup under the pair's prefix "${pair.backup.prefix}"`]);
  }
  const expiresOn = new Date(Date.parse(notAfter) + RESTORE_URL_MARGIN_SECONDS * 1000);
  const sasUrl = await deps.backups.readOnlyUrl(pair.backup.container, spec.backupName, expiresOn);
  return { ...spec, sasUrl };
}

df.app.activity(ACTIVITIES.sendCommand, {
  handler: (input: SendCommandInput, context) => createSendCommandActivity(failoverDeps(context))(input, context),
});
