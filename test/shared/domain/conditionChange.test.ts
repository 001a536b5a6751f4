import { decideAlert } from '../../../shared/domain/conditionChange';

const ok = (s: string): boolean => s === 'healthy';

describe('decideAlert', () => {
  it.each([
    [undefined, undefined, 'none'],
    [undefined, 'healthy', 'none'],
    ['healthy', 'healthy', 'none'],
    ['stale', 'stale', 'none'],
    [undefined, 'stale', 'raise'],
    ['healthy', 'stale', 'raise'],
    ['stale', 'unreachable', 'raise'],
    ['stale', 'healthy', 'resolve'],
    ['unreachable', 'healthy', 'resolve'],
  ] as const)('from %s to %s decides %s', (from, to, kind) => {
    expect(decideAlert<string>(from, to, ok).kind).toBe(kind);
  });

  it('names both ends of a resolved condition', () => {
    expect(decideAlert<string>('stale', 'healthy', ok)).toEqual({ kind: 'resolve', from: 'stale', to: 'healthy' });
  });
});
