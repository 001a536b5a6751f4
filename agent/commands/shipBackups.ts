import type { AgentCommand } from '../../shared/contracts/agentCommands';
import type { BackupShipper, ShipSummary } from './collaborators.port';
import { failed, succeeded, type CommandHandler, type CommandResult } from './commandHandler';
import { agentErrorCode, messageOf } from './errorCode';

/** A reply stays small however many backups the shipper has seen over the years. */
const LISTED = 20;

/** Ships now what the shipper would ship on its next round (before a planned failover, say). */
export function shipBackupsHandler(shipper: BackupShipper | undefined): CommandHandler<Extract<AgentCommand, { type: 'shipBackups' }>> {
  return async () => {
    if (shipper === undefined) return failed('NOT_CONFIGURED', 'No backup shipper is configured on this host');
    let summary: ShipSummary;
    try {
      summary = await shipper.shipNow();
    } catch (error) {
      return failed(agentErrorCode(error, 'SHIP_FAILED'), `Shipping backups failed: ${messageOf(error)}`);
    }
    const result = summarize(summary);
    if (summary.scanError !== undefined) {
      return failed('SHIP_FAILED', `The backup folder could not be read (${summary.scanError.code}): ${summary.scanError.message}`, result);
    }
    const failures = summary.failed?.length ?? 0;
    if (failures > 0) return failed('SHIP_FAILED', `${failures} backup${failures === 1 ? '' : 's'} could not be shipped`, result);
    return succeeded(result);
  };
}

function summarize(summary: ShipSummary): CommandResult {
  const list = (items: readonly unknown[] | undefined): { count: number; items?: unknown[] } =>
    items === undefined ? { count: 0 } : { count: items.length, ...(items.length > 0 ? { items: items.slice(0, LISTED) } : {}) };
  return {
    shipped: list(summary.shipped),
    recovered: list(summary.recovered),
    alreadyShipped: { count: summary.alreadyShipped?.length ?? 0 },
    pending: list(summary.pending),
    failed: list(summary.failed),
  };
}
