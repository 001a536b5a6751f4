import { COMMAND_CONTRACT_VERSION, type AgentCommand } from '../../../shared/contracts/agentCommands';
import { agentHostName, buildCommandEnvelope, type CommandAddress } from '../../../shared/services/commandEnvelope';

const SIGNATURE = 'sig=bm90LWEtcmVhbC1zaWduYXR1cmU%3D';
const SAS_URL = `https://backups.blob.core.windows.net/adtempus-backups/erp/x.bak?sv=2025-01-05&sr=b&sp=r&${SIGNATURE}`;

const address: CommandAddress = {
  messageId: '0b9c6a4e-4a61-5d0e-8d39-2f0c6f0b7a11',
  pairId: 'erp',
  targetHost: 'ADT-SEC01',
  epoch: 5,
  issuedAt: '2026-11-22T03:00:00.000Z',
  notAfter: '2026-11-22T03:00:30.000Z',
  replyTo: 'watchdog-inbox',
  correlationId: 'failover-erp/restore-1',
};

const restore = (sha256: string): AgentCommand => ({ type: 'restoreDatabase', sasUrl: SAS_URL, backupName: 'erp/x.bak', sha256, sizeBytes: 1024, timeoutSeconds: 7200 });

describe('buildCommandEnvelope', () => {
  it('puts the command in a contract-1 envelope with the given address', () => {
    expect(buildCommandEnvelope(address, { type: 'status' })).toEqual({ contract: COMMAND_CONTRACT_VERSION, ...address, command: { type: 'status' } });
  });

  it('refuses a command that breaks the contract, naming the path but never the SAS URL', () => {
    let error: (Error & { code?: string; meta?: unknown }) | undefined;
    try {
      buildCommandEnvelope(address, restore('not-a-digest'));
    } catch (e) {
      error = e as Error;
    }

    expect(error).toMatchObject({ code: 'COMMAND_INVALID', meta: { messageId: address.messageId, commandType: 'restoreDatabase' } });
    expect(error?.message).toContain('command.sha256');
    expect(JSON.stringify([error?.message, error?.meta, error?.stack])).not.toContain(SIGNATURE);
  });

  it('refuses a command that expires before it is issued', () => {
    expect(() => buildCommandEnvelope({ ...address, notAfter: address.issuedAt }, { type: 'status' })).toThrow(/notAfter must follow issuedAt/);
  });
});

describe('agentHostName', () => {
  it.each([
    ['ADT-SEC01', 'ADT-SEC01'],
    ['adt-sec01.corp.example', 'adt-sec01'],
    [' ADT-SEC01.corp.example ', 'ADT-SEC01'],
  ])('names %s as its agent knows it: %s', (configured, agent) => {
    expect(agentHostName(configured)).toBe(agent);
  });
});
