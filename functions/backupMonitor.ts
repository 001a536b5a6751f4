import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appServices } from '../shared/composition/appServices';
import { invocationLogger } from '../shared/composition/logging';
import { runBackupPass } from '../shared/services/backupMonitor';
import { summarizePass } from '../shared/services/runPairs';

/** Checks every pair's newest backup in Blob storage against its RPO budget and the backup contract. */
export async function backupMonitor(timer: Timer, context: InvocationContext): Promise<void> {
  const services = appServices();
  const logger = invocationLogger(context, { function: 'backupMonitor', invocationId: context.invocationId });
  if (timer.isPastDue) logger.warn('backup check is running late (the timer was past due)');
  const outcomes = await runBackupPass({ ...services.monitorDeps(logger), backups: services.backups });
  logger.info('backup pass finished', summarizePass(outcomes, (r) => r.state));
}

app.timer('backupMonitor', { schedule: '%BACKUP_SCHEDULE%', handler: backupMonitor });
