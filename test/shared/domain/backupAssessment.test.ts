import { assessBackups } from '../../../shared/domain/backupAssessment';
import type { BackupRecord } from '../../../shared/domain/backupContract';
import { resolvedPair } from '../../support/pairs';

const pair = resolvedPair({ backup: { container: 'adtempus-backups', prefix: 'erp/', rpoBudgetMinutes: 1500, expectedIntervalMinutes: 1440, maxShrinkPercent: 50 } });
const now = new Date('2026-11-22T12:00:00Z');
const hoursAgo = (h: number): Date => new Date(now.getTime() - h * 3_600_000);
const backup = (h: number, sizeBytes = 1_000_000, problems: string[] = []): BackupRecord => ({
  name: `erp/${h}.bak`,
  takenAt: hoursAgo(h),
  sourceMachine: 'ADT-PRI01',
  sizeBytes,
  sha256: 'b'.repeat(64),
  problems,
});

describe('assessBackups', () => {
  it('finds a recent sound backup ok', () => {
    const a = assessBackups(pair, [backup(2), backup(26)], [], now);
    expect(a).toMatchObject({ state: 'ok', ageSeconds: 7200, overdue: false, problems: [] });
    expect(a.newestValid?.name).toBe('erp/2.bak');
  });

  it('reports missing when there is no backup', () => {
    expect(assessBackups(pair, [], [], now).state).toBe('missing');
  });

  it('reports stale when the newest backup is older than the RPO budget', () => {
    const a = assessBackups(pair, [backup(26)], [], now);
    expect(a.state).toBe('stale');
    expect(a.overdue).toBe(true);
    expect(a.problems.join()).toMatch(/over the RPO budget of 25 h 0 min/);
  });

  it('marks a backup overdue before it is stale', () => {
    expect(assessBackups(pair, [backup(24.5)], [], now)).toMatchObject({ state: 'ok', overdue: true });
  });

  it('reports suspect when the newest backup shrank sharply against the previous one', () => {
    const a = assessBackups(pair, [backup(1, 400_000), backup(25, 1_000_000)], [], now);
    expect(a.state).toBe('suspect');
    expect(a.problems.join()).toMatch(/60% smaller/);
    expect(a.newestValid?.name).toBe('erp/25.bak');
  });

  it('accepts a shrink within the limit', () => {
    expect(assessBackups(pair, [backup(1, 600_000), backup(25, 1_000_000)], [], now).state).toBe('ok');
  });

  it('reports suspect for a contract problem and points at the newest sound backup', () => {
    const a = assessBackups(pair, [backup(1, 10, ['metadata sha256 is missing']), backup(25)], [], now);
    expect(a.state).toBe('suspect');
    expect(a.newestValid?.name).toBe('erp/25.bak');
  });

  it('prefers suspect over stale when both hold, naming both problems', () => {
    const a = assessBackups(pair, [backup(30, 0, ['the backup is empty (0 bytes)'])], [], now);
    expect(a.state).toBe('suspect');
    expect(a.problems).toHaveLength(2);
  });

  it('turns foreign names into warnings without changing the state', () => {
    const a = assessBackups(pair, [backup(2)], ['erp/readme.txt'], now);
    expect(a.state).toBe('ok');
    expect(a.warnings).toEqual(['skipped blob "erp/readme.txt": its name does not follow the backup contract']);
  });
});
