import { globToRegExp } from '../../../agent/backup/globToRegExp';

describe('globToRegExp', () => {
  it.each([
    ['*.bak', 'adTempus.bak'],
    ['*.bak', 'ADTEMPUS.BAK'],
    ['adTempus_??.bak', 'adTempus_01.bak'],
    ['a+b(1).bak', 'a+b(1).bak'],
  ])('lets %s match %s', (pattern, name) => {
    expect(globToRegExp(pattern).test(name)).toBe(true);
  });

  it.each([
    ['*.bak', 'adTempus.bak.tmp'],
    ['*.bak', 'adTempus.trn'],
    ['adTempus_??.bak', 'adTempus_1.bak'],
    ['a+b(1).bak', 'aab1.bak'],
  ])('does not let %s match %s', (pattern, name) => {
    expect(globToRegExp(pattern).test(name)).toBe(false);
  });

  it.each(['', 'backups/*.bak', 'C:\\backups\\*.bak'])('refuses %j, which is not a file-name pattern', (pattern) => {
    expect(() => globToRegExp(pattern)).toThrow(RangeError);
  });
});
