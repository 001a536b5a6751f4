import { backupBlobName, backupMetadata, backupNameFloor, parseBackupName, readBackupRecord, type ListedBlob } from '../../../shared/domain/backupContract';

const sha = 'a'.repeat(64);
const takenAt = new Date('2026-11-22T03:00:00.123Z');

describe('backup contract', () => {
  it('names a backup so that it parses back to its time and source machine', () => {
    const name = backupBlobName('erp/', takenAt, 'ADT-PRI01');
    expect(name).toBe('erp/8204683599876_20261122T030000Z_ADT-PRI01.bak');
    expect(parseBackupName('erp/', name)).toEqual({ takenAt, sourceMachine: 'ADT-PRI01' });
  });

  it('orders names newest first when sorted as blob storage lists them', () => {
    const times = ['2026-01-01T00:00:00Z', '2026-11-22T03:00:00Z', '2025-06-30T23:59:59Z', '2026-11-22T03:00:01Z'].map((t) => new Date(t));
    const names = times.map((t) => backupBlobName('p/', t, 'H'));
    const listed = [...names].sort();
    expect(listed.map((n) => parseBackupName('p/', n)!.takenAt.toISOString())).toEqual([
      '2026-11-22T03:00:01.000Z',
      '2026-11-22T03:00:00.000Z',
      '2026-01-01T00:00:00.000Z',
      '2025-06-30T23:59:59.000Z',
    ]);
  });

  it('places the floor for a time before every backup taken at or before it', () => {
    const name = backupBlobName('p/', takenAt, 'H');
    expect(backupNameFloor('p/', takenAt) <= name).toBe(true);
    expect(backupNameFloor('p/', new Date(takenAt.getTime() - 1)) > name).toBe(true);
  });

  it.each([
    ['another prefix', 'crm/8204683599876_20261122T030000Z_ADT-PRI01.bak'],
    ['a readable stamp that disagrees with the sortable part', 'erp/8204683599876_20261122T040000Z_ADT-PRI01.bak'],
    ['a nested path', 'erp/old/8204683599876_20261122T030000Z_ADT-PRI01.bak'],
    ['another extension', 'erp/8204683599876_20261122T030000Z_ADT-PRI01.zip'],
    ['a hand-made name', 'erp/adTempus_backup_2026-11-22.bak'],
  ])('rejects %s', (_why, name) => {
    expect(parseBackupName('erp/', name)).toBeUndefined();
  });

  const blob = (metadata: Record<string, string>, contentLength = 1000): ListedBlob => ({
    name: backupBlobName('erp/', takenAt, 'ADT-PRI01'),
    contentLength,
    lastModified: takenAt,
    metadata,
  });
  const good = backupMetadata({ pairId: 'erp', sourceMachine: 'ADT-PRI01', takenAt, sizeBytes: 1000, sha256: sha });

  it('accepts a backup whose metadata follows the contract', () => {
    expect(readBackupRecord('erp/', 'erp', blob(good))).toMatchObject({ sha256: sha, sizeBytes: 1000, problems: [] });
  });

  it.each([
    ['a missing sha256', { ...good, sha256: undefined }, /sha256 is missing/],
    ['a malformed sha256', { ...good, sha256: 'xyz' }, /not 64 hex/],
    ['a missing takenat', { ...good, takenat: undefined }, /takenat is missing/],
    ['a takenat that disagrees with the name', { ...good, takenat: '2026-11-21T03:00:00Z' }, /disagrees/],
    ['another pair', { ...good, pair: 'crm' }, /expected "erp"/],
    ['a declared size that differs', { ...good, sizebytes: '999' }, /differs from metadata sizebytes/],
  ])('names the problem of %s', (_why, metadata, problem) => {
    const clean = Object.fromEntries(Object.entries(metadata).filter(([, v]) => v !== undefined)) as Record<string, string>;
    expect(readBackupRecord('erp/', 'erp', blob(clean))!.problems.join('; ')).toMatch(problem);
  });

  it('flags an empty backup', () => {
    expect(readBackupRecord('erp/', 'erp', blob({ ...good, sizebytes: '0' }, 0))!.problems).toContain('the backup is empty (0 bytes)');
  });
});
