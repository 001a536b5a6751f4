/**
 * A file-name pattern as operators write it in settings (`*.bak`, `adTempus_??.bak`): `*` is any
 * run of characters, `?` one character, everything else literal. Case-insensitive, because the
 * backup folder is on Windows, where `X.BAK` and `x.bak` name the same file.
 */
export function globToRegExp(glob: string): RegExp {
  if (glob.length === 0 || /[\\/]/.test(glob)) throw new RangeError('a file pattern is a non-empty file name pattern, without a folder');
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'i');
}
