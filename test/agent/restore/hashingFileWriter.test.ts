import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HashingFileWriter, SLOT_BYTES } from '../../../agent/restore/hashingFileWriter';

const sha256Of = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** Cuts data into chunks of awkward sizes, so that chunks straddle the slot boundaries. */
function* chunksOf(data: Buffer): Generator<Buffer> {
  const sizes = [1, 65_536, 4_095, 1_000_003, 7];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield data.subarray(offset, offset + size);
    offset += size;
  }
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hashing-writer-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('HashingFileWriter', () => {
  it.each([
    ['smaller than a slot', 123_457],
    ['exactly two slots', 2 * SLOT_BYTES],
    ['several slots and a tail', 3 * SLOT_BYTES + 13],
  ])('writes and hashes, in order, a body %s', async (_case, size) => {
    const data = randomBytes(size);
    const file = join(dir, 'out.bin');
    const writer = new HashingFileWriter(file, size, undefined, 0);

    await pipeline(Readable.from(chunksOf(data)), writer);

    expect(writer.bytes).toBe(size);
    expect(writer.digest()).toBe(sha256Of(data));
    expect(sha256Of(await readFile(file))).toBe(sha256Of(data));
  });

  it('never overwrites a file that is already there', async () => {
    const file = join(dir, 'taken.bin');
    await writeFile(file, 'keep');
    const writer = new HashingFileWriter(file, 4, undefined, 0);

    await expect(pipeline(Readable.from([Buffer.from('data')]), writer)).rejects.toMatchObject({ code: 'EEXIST' });
    await writer.fileClosed();
    expect(await readFile(file, 'utf8')).toBe('keep');
  });

  it('closes its file when the source fails mid-way, so the file can be deleted at once', async () => {
    const file = join(dir, 'broken.bin');
    const writer = new HashingFileWriter(file, 3 * SLOT_BYTES, undefined, 0);
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(SLOT_BYTES + 5);
      throw new Error('connection reset');
    }

    await expect(pipeline(Readable.from(failing()), writer)).rejects.toThrow('connection reset');
    await writer.fileClosed();
    await rm(file);
  });
});
