import { describe, expect, it } from 'vitest';
import { decodeMountInfoField, encodeMountInfoField, mountInfoEntriesAt, parseMountInfo, topmostMountAt } from './mountinfo';

const SAMPLE = [
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '42 27 0:39 / /tmp/a\\040b rw,nosuid,nodev,noexec,relatime shared:5 master:1 - tmpfs tmpfs rw,size=64k,mode=700',
  '43 42 0:39 /src /tmp/a\\040b/dst ro,nosuid,nodev,noexec,relatime - tmpfs tmpfs rw,size=64k,mode=700',
  '44 42 0:40 / /tmp/a\\040b rw,relatime - ext4 /dev/sda1 rw',
  'garbage line',
  '',
].join('\n');

describe('mountinfo', () => {
  it('decodes the kernel octal escapes for space, tab, newline and backslash', () => {
    expect(decodeMountInfoField('/a\\040b\\011c\\012d\\134e')).toBe('/a b\tc\nd\\e');
  });

  it('parses fields around the optional-field separator and skips malformed lines', () => {
    const entries = parseMountInfo(SAMPLE);
    expect(entries).toHaveLength(4);
    expect(entries[1]).toMatchObject({
      mountId: 42,
      parentId: 27,
      device: '0:39',
      mountPoint: '/tmp/a b',
      fsType: 'tmpfs',
      source: 'tmpfs',
      mountOptions: ['rw', 'nosuid', 'nodev', 'noexec', 'relatime'],
    });
    expect(entries[2]).toMatchObject({ root: '/src', mountPoint: '/tmp/a b/dst', mountOptions: expect.arrayContaining(['ro']) });
  });

  it('picks the topmost of stacked mounts at one path, and nothing for a path that is only a prefix', () => {
    const entries = parseMountInfo(SAMPLE);
    expect(topmostMountAt(entries, '/tmp/a b')?.fsType).toBe('ext4');
    expect(topmostMountAt(entries, '/tmp/a')).toBeUndefined();
  });

  it('escapes paths as the kernel does, the inverse of decoding', () => {
    const path = '/a b\tc\nd\\e/f';
    expect(encodeMountInfoField(path)).toBe('/a\\040b\\011c\\012d\\134e/f');
    expect(decodeMountInfoField(encodeMountInfoField(path))).toBe(path);
  });

  it('finds the entries at one mount point without parsing the others, as parseMountInfo would', () => {
    const text = [
      ...SAMPLE.split('\n').filter(Boolean),
      // The path as another mount's root and as a source: not a mount at it.
      '45 27 0:39 /tmp/a\\040b /elsewhere rw - tmpfs /tmp/a\\040b rw',
      '46 43 0:41 / /tmp/a\\040b/dst rw - tmpfs tmpfs rw', // stacked on 43; last line, no newline
    ].join('\n');
    for (const mountPoint of ['/tmp/a b', '/tmp/a b/dst', '/tmp/a', '/elsewhere', '/nowhere']) {
      expect(mountInfoEntriesAt(text, mountPoint)).toEqual(parseMountInfo(text).filter((e) => e.mountPoint === mountPoint));
    }
    expect(mountInfoEntriesAt(text, '/tmp/a b').map((e) => e.mountId)).toEqual([42, 44]);
    expect(topmostMountAt(mountInfoEntriesAt(text, '/tmp/a b/dst'), '/tmp/a b/dst')?.mountId).toBe(46);
  });
});
