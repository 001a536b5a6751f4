import '../../../orchestrations/failover/failover.orchestrator';
import '../../../functions/agentInbox';
import { randomUUID } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { getRegistration } from '../../../local/functionsCore';
import { ACTIVITIES } from '../../../orchestrations/names';
import { BlobBackupCatalog } from '../../../shared/adapters/blob/blobBackupCatalog';
import { appServices } from '../../../shared/composition/appServices';
import { COMMAND_CONTRACT_VERSION, type AgentReply } from '../../../shared/contracts/agentCommands';
import type { SendCommandInput } from '../../../shared/contracts/failoverContract';
import type { FailoverRequest } from '../../../shared/domain/failoverPolicy';
import { gatherFailoverFacts } from '../../../shared/services/failoverFacts';
import { sharedPair, signedIn, startApiFixture, type ApiFixture } from './httpApiFixture';

/**
 * The real failover orchestration behind the HTTP API: started by the route, its Secondary's
 * reply delivered through the agent inbox, stopped at its gate by a rejection from the route.
 * Activities are faked through the harness (the facts are the real gatherFailoverFacts on Azurite).
 */
let api: ApiFixture;
const sent: SendCommandInput[] = [];
const closed: unknown[] = [];

beforeAll(async () => {
  api = await startApiFixture('api-real', {
    standIn: false,
    fakes: () => ({
      [ACTIVITIES.notify]: () => undefined,
      [ACTIVITIES.gatherFacts]: (input) => {
        const { pairId, request } = input as { pairId: string; request?: FailoverRequest };
        const services = appServices();
        return gatherFailoverFacts({ pairs: services.config.pairs, state: api.state, backups: new BlobBackupCatalog(api.blob), clock: () => new Date() }, pairId, request);
      },
      [ACTIVITIES.sendCommand]: (input) => {
        sent.push(input as SendCommandInput);
        return { sent: true };
      },
      [ACTIVITIES.closeFailover]: (input) => void closed.push(input),
    }),
  });
  await api.reset([sharedPair('hr', { failover: { twoPersonRule: true } })]);
});

afterAll(async () => {
  await api.close();
});

async function deliverToInbox(reply: AgentReply): Promise<void> {
  const context = new InvocationContext({ functionName: 'agentInbox', invocationId: randomUUID(), triggerMetadata: { messageId: randomUUID(), deliveryCount: 1 }, logHandler: () => undefined });
  await getRegistration('agentInbox').handler(reply, context);
  await api.harness.runUntilIdle();
}

it('starts the real runbook on request, takes the Secondary reply from the inbox, waits at the gate and ends aborted when rejected', async () => {
  const started = await api.call('requestFailover', 'POST', { params: { id: 'hr' }, body: { reason: 'Primary hardware swap' }, headers: signedIn('alice@contoso.com') });
  expect(started.status).toBe(202);

  const status = sent.find((c) => c.command.type === 'status');
  expect(status).toMatchObject({ pairId: 'hr', role: 'secondary' });
  await deliverToInbox({
    contract: COMMAND_CONTRACT_VERSION,
    kind: 'succeeded',
    inReplyTo: status!.messageId,
    correlationId: status!.correlationId,
    pairId: 'hr',
    host: 'ADT-SEC01',
    epoch: status!.epoch,
    commandType: 'status',
    at: new Date().toISOString(),
    result: { service: { state: 'stopped' } },
  });

  const waiting = await api.call('getFailover', 'GET', { params: { instanceId: 'failover-hr' } });
  expect(waiting.body).toMatchObject({ running: true, request: { requestedBy: 'alice@contoso.com' }, progress: { phase: 'gate', cancellable: true } });
  expect((waiting.body.progress.awaiting.reasons as { code: string }[]).map((r) => r.code)).toContain('MANUAL_POLICY');
  expect((await api.call('approveFailover', 'POST', { params: { instanceId: 'failover-hr' }, headers: signedIn('ALICE@contoso.com') })).status).toBe(403);

  const rejected = await api.call('rejectFailover', 'POST', { params: { instanceId: 'failover-hr' }, body: { comment: 'wait for the weekend' }, headers: signedIn('bob@contoso.com') });
  expect(rejected.status).toBe(202);

  const ended = await api.call('getFailover', 'GET', { params: { instanceId: 'failover-hr' } });
  expect(ended.body).toMatchObject({ runtimeStatus: 'Completed', running: false, result: { outcome: 'aborted', code: 'REJECTED' } });
  expect((ended.body.result.steps as { step: string }[]).map((s) => s.step)).toEqual(['open', 'preflight', 'gate']);
  expect(closed).toHaveLength(1);
  expect(sent.map((c) => c.command.type)).toEqual(['status']);
});
