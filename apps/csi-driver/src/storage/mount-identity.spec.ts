import { describe, expect, it } from 'vitest';
import { deviceString, mountIdentityOf, parseFdinfoMountId } from './mount-identity';
import { readMountInfo, topmostMountAt } from './mountinfo';

describe('mount identity from an open directory (the O(1) data root check)', () => {
  it('decodes dev_t as Linux encodes it, including majors and minors past 8 bits', () => {
    expect(deviceString(0x0803n)).toBe('8:3'); // sda3
    expect(deviceString(0x2an)).toBe('0:42'); // an anonymous device (tmpfs)
    expect(deviceString(0xfe00n)).toBe('254:0');
    expect(deviceString(0x1000_0000_0103n)).toBe('4097:3'); // major 0x1001: its high bits from bit 44 on
    expect(deviceString(0x1230_0005n)).toBe('0:74501'); // minor 0x12305: its high bits from bit 20 on
    expect(deviceString(0x1000_1230_0105n)).toBe('4097:74501'); // both, neither leaking into the other
  });

  it('reads mnt_id from fdinfo text, and nothing when the kernel does not give it', () => {
    expect(parseFdinfoMountId('pos:\t0\nflags:\t02200000\nmnt_id:\t1234\nino:\t56\n')).toBe(1234);
    expect(parseFdinfoMountId('pos:\t0\nflags:\t02200000\n')).toBeUndefined();
  });

  it.skipIf(process.platform !== 'linux')('names the same mount ID and device as /proc/self/mountinfo', async () => {
    const table = await readMountInfo();
    for (const path of ['/', '/proc']) {
      const entry = topmostMountAt(table, path);
      expect(await mountIdentityOf(path)).toEqual({ mountId: entry?.mountId, device: entry?.device });
    }
    await expect(mountIdentityOf('/nonexistent-dir-for-a-test')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
