import { describe, expect, it } from '@jest/globals';
import { SourceError } from './errors.js';
import { unpackPackage } from './package-content.js';
import { readTar } from './tar.js';
import { gzip, packageTar, tar } from './testing/tar-writer.js';

const LIMITS = { maxFiles: 100, maxUnpackedBytes: 64 * 1024 };

async function failure(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    return error.code;
  }
}

describe('package archives', () => {
  it('reads a package as kcl mod push archives it, keeping .k files and kcl.mod', async () => {
    const content = await unpackPackage(packageTar({ 'kcl.mod': '[package]\nname = "p"\nversion = "0.1.0"\n', 'main.k': 'a = 1\n', 'sub/lib.k': 'b = 2\n', 'README.md': '# p\n' }), LIMITS, 'p');
    expect(content.files).toEqual({ 'kcl.mod': '[package]\nname = "p"\nversion = "0.1.0"\n', 'main.k': 'a = 1\n', 'sub/lib.k': 'b = 2\n' });
    expect(content.mod?.name).toBe('p');
  });

  it('reads a package archived with its directory as the top entry, and a gzip-compressed one', async () => {
    const wrapped = tar([{ name: 'p/', type: '5' }, { name: 'p/kcl.mod', data: '[package]\nname = "p"\n' }, { name: 'p/main.k', data: 'a = 1\n' }]);
    expect(Object.keys((await unpackPackage(wrapped, LIMITS, 'p')).files).sort()).toEqual(['kcl.mod', 'main.k']);
    expect(Object.keys((await unpackPackage(gzip(wrapped), LIMITS, 'p')).files).sort()).toEqual(['kcl.mod', 'main.k']);
  });

  it('takes long names from pax and GNU records', async () => {
    const long = `${'d/'.repeat(70)}main.k`;
    const record = (() => {
      // The length prefix counts itself: find the fixed point.
      let n = 0;
      for (;;) {
        const text = `${n} path=${long}\n`;
        if (Buffer.byteLength(text) === n) return text;
        n = Buffer.byteLength(text);
      }
    })();
    const files = await readTar(tar([{ name: 'PaxHeader', type: 'x', data: record }, { name: 'ignored', data: 'a = 1\n' }, { name: '././@LongLink', type: 'L', data: `${long}x\0` }, { name: 'short', data: 'b = 2\n' }]), LIMITS);
    expect(files.map((f) => f.path)).toEqual([long, `${long}x`]);
  });

  it.each([
    ['an entry climbing out with ..', [{ name: '../../etc/passwd.k', data: 'x' }]],
    ['an entry with .. in the middle', [{ name: 'a/../../b.k', data: 'x' }]],
    ['an absolute path', [{ name: '/etc/x.k', data: 'x' }]],
    ['a symbolic link', [{ name: 'main.k', type: '2', linkName: '/etc/passwd' }]],
    ['a hard link', [{ name: 'main.k', type: '1', linkName: 'other.k' }]],
    ['a device', [{ name: 'dev.k', type: '3' }]],
    ['a FIFO', [{ name: 'fifo.k', type: '6' }]],
    ['the same name twice', [{ name: 'main.k', data: 'a = 1' }, { name: './main.k', data: 'a = 2' }]],
    ['a backslash in a name', [{ name: '..\\x.k', data: 'x' }]],
    ['a size beyond the archive', [{ name: 'main.k', data: 'a = 1', declaredSize: 1 << 20 }]],
  ])('refuses %s (S3003)', async (_what, entries) => {
    expect(await failure(() => readTar(tar(entries), LIMITS))).toBe('S3003');
  });

  it('refuses what is not a tar (bad checksum) and a package without .k files', async () => {
    expect(await failure(() => readTar(Buffer.alloc(1024, 7), LIMITS))).toBe('S3003');
    expect(await failure(() => unpackPackage(packageTar({ 'README.md': 'x' }), LIMITS, 'p'))).toBe('S3003');
    expect(await failure(() => unpackPackage(tar([{ name: 'main.k', data: Buffer.from([0x61, 0xff, 0xfe]) }]), LIMITS, 'p'))).toBe('S3003');
  });

  it('stops at the file count and the unpacked size, also for a gzip bomb', async () => {
    const many = tar(Array.from({ length: 101 }, (_, i) => ({ name: `f${i}.k`, data: 'a = 1' })));
    expect(await failure(() => readTar(many, LIMITS))).toBe('S3002');
    const big = tar([{ name: 'big.k', data: 'a'.repeat(65 * 1024) }]);
    expect(await failure(() => readTar(big, LIMITS))).toBe('S3002');
    const bomb = gzip(tar([{ name: 'zeros.k', data: Buffer.alloc(8 * 1024 * 1024) }]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(await failure(() => readTar(bomb, LIMITS))).toBe('S3002');
    expect(await failure(() => readTar(Buffer.from([0x1f, 0x8b, 1, 2, 3]), LIMITS))).toBe('S3003');
  });

  it("stops at one file's size, from its header", async () => {
    const limits = { ...LIMITS, maxFileBytes: 1024 };
    expect(await failure(() => readTar(tar([{ name: 'small.k', data: 'a'.repeat(1024) }, { name: 'big.k', data: 'a'.repeat(1025) }]), limits))).toBe('S3002');
    expect(await readTar(tar([{ name: 'a.k', data: 'a'.repeat(1024) }, { name: 'b.k', data: 'b'.repeat(1024) }]), limits)).toHaveLength(2);
  });

  it('refuses a hostile entry inside a gzip layer too (S3003)', async () => {
    expect(await failure(() => readTar(gzip(tar([{ name: 'main.k', type: '2', linkName: '/etc/passwd' }])), LIMITS))).toBe('S3003');
  });

  it('leaves a broken kcl.mod to the compiler (the files are kept, no dependencies are read)', async () => {
    const content = await unpackPackage(packageTar({ 'kcl.mod': '[package\n', 'main.k': 'a = 1\n' }), LIMITS, 'p');
    expect(content.mod).toBeUndefined();
    expect(content.files['kcl.mod']).toBe('[package\n');
  });
});
