import '../../../orchestrations/failover/failover.orchestrator';
import { ACTIVITIES, ORCHESTRATIONS } from '../../../orchestrations/names';
import { failoverInstanceId, routeReply, type FailoverFacts, type FailoverResult, type SendCommandInput } from '../../../shared/contracts/failoverContract';
import { decideFailover } from '../../../shared/domain/failoverPolicy';
import { DurableHarness } from '../../support/durableHarness';
import { resolvedPair } from '../../support/pairs';

describe('failover smoke', () => {
  it('runs a shared failover to completion', async () => {
    const pair = resolvedPair({ strategy: 'shared', policy: { automaticFailover: true } });
    const h = new DurableHarness();
    const sent: SendCommandInput[] = [];
    let owner = 'ADT-PRI01';
    let hb = Date.parse('2026-01-05T08:50:00Z');
    h.fakeActivity(ACTIVITIES.gatherFacts, () => {
      const now = h.clock.now();
      const facts: FailoverFacts = {
        pair: { ...pair, failover: pair.failover },
        checkedAt: now.toISOString(),
        decision: decideFailover({
          pair,
          heartbeat: {
            pairId: pair.id, checkedAt: now.toISOString(), state: 'stale', since: '2026-01-05T08:55:00Z', observed: 'stale', observedCount: 3, requiredChecks: 3,
            owner: 'ADT-PRI01', heartbeatAgeSeconds: 600, lastPrimaryHeartbeatUtc: '2026-01-05T08:50:00Z', primaryDown: { suspected: true, conclusive: true, since: '2026-01-05T08:50:00Z' }, evidence: [],
          },
          maintenance: false, restartsInPlace: [], now,
        }),
        epoch: 0,
        activeHost: 'ADT-PRI01',
      };
      return facts;
    });
    h.fakeActivity(ACTIVITIES.sendCommand, (input) => {
      const cmd = input as SendCommandInput;
      sent.push(cmd);
      const route = routeReply(cmd.correlationId)!;
      const result = cmd.command.type === 'status' ? { service: { state: 'stopped' } } : {};
      if (cmd.command.type === 'startService') { owner = 'ADT-SEC01'; }
      h.clock.schedule(new Date(h.clock.now().getTime() + 1000), () => void h.engine.raiseEvent(route.instanceId, route.eventName, { kind: 'succeeded', result }));
      return { sent: true };
    });
    h.fakeActivity(ACTIVITIES.raiseEpoch, () => ({ epoch: 1, activeHost: 'ADT-SEC01', previousEpoch: 0, alreadyRaised: false }));
    h.fakeActivity(ACTIVITIES.readOwner, () => { hb = h.clock.now().getTime(); return { ok: true, owner, heartbeatUtc: new Date(hb).toISOString(), detail: 'read' }; });
    h.fakeActivity(ACTIVITIES.primaryLockEvidence, () => ({ state: 'primary-owner', ageSeconds: 600, owner: 'ADT-PRI01', detail: 'read now' }));
    h.fakeActivity(ACTIVITIES.notify, () => ({ delivered: 1 }));
    h.fakeActivity(ACTIVITIES.closeFailover, () => undefined);

    const id = await h.start(ORCHESTRATIONS.failover, { instanceId: failoverInstanceId(pair.id), input: { pairId: pair.id, trigger: 'automatic', reason: 'PRIMARY_HOST_LOST', requestedAt: '2026-01-05T09:00:00Z', evidence: [] } });
    await h.advance(10 * 60_000);
    const status = await h.status(id);
    const result = status.output as FailoverResult;
    expect({ status: status.runtimeStatus, outcome: result?.outcome, code: result?.code, detail: result?.detail }).toEqual(expect.objectContaining({ status: 'Completed', outcome: 'completed' }));
    expect(sent.map((s) => s.command.type)).toEqual(['status', 'stopService', 'startService']);
  });
});
