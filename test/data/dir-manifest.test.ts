import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { dirId, parseDirManifest, serializeDirManifest } from '../../src/data/dir-manifest.ts';

/** Python's own json.dumps(sort_keys=True) is the reference DVC hashes. */
function pythonDumps(entries: Array<{ md5: string; relpath: string }>): string {
  const script =
    'import json,sys; e=json.load(sys.stdin); e.sort(key=lambda x: x["relpath"]); sys.stdout.write(json.dumps(e, sort_keys=True))';
  return execFileSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify(entries),
    encoding: 'utf8',
  });
}

describe('DVC .dir manifest', () => {
  it('hashes the dvc-data test vector to 5ea40360f5b4ec688df672a4db9c17d1.dir', () => {
    const entries = [
      { md5: 'acbd18db4cc2f85cedef654fccc4a4d8', relpath: 'foo' },
      { md5: '37b51d194a7513e45b56f6524f2d51f2', relpath: 'bar' },
    ];
    expect(serializeDirManifest(entries)).toBe(
      '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar"}, {"md5": "acbd18db4cc2f85cedef654fccc4a4d8", "relpath": "foo"}]',
    );
    expect(dirId(entries).id).toBe('5ea40360f5b4ec688df672a4db9c17d1.dir');
  });

  it('serialises exactly like Python json.dumps, escapes and code-point order included', () => {
    const md5 = 'd41d8cd98f00b204e9800998ecf8427e';
    const names = [
      'plain.csv',
      'sub/dir/file.parquet',
      'caf\u00e9/na\u00efve.txt',
      'emoji-\u{1F600}.bin',
      'quote"back\\slash',
      'tab\there',
      'del\u007fchar',
      'Z-upper',
      '\uff5ewide',
      'a b/c',
      'sub-dir/x',
      'sub.dir/x',
    ];
    const entries = names.map((relpath) => ({ md5, relpath }));
    expect(serializeDirManifest(entries)).toBe(pythonDumps(entries));
    expect(serializeDirManifest([])).toBe('[]');
  });

  it('reads manifests, ignoring extra fields, and refuses entries that escape the directory', () => {
    const text = '[{"md5": "37b51d194a7513e45b56f6524f2d51f2", "relpath": "bar", "size": 3}]';
    expect(parseDirManifest(Buffer.from(text), 'm')).toEqual([
      { md5: '37b51d194a7513e45b56f6524f2d51f2', relpath: 'bar' },
    ]);
    for (const relpath of ['../etc/passwd', '/abs', 'a/../../b', 'a//b']) {
      const bad = JSON.stringify([{ md5: '37b51d194a7513e45b56f6524f2d51f2', relpath }]);
      expect(() => parseDirManifest(Buffer.from(bad), 'm')).toThrow(/escapes its directory/);
    }
    expect(() => parseDirManifest(Buffer.from('not json'), 'm')).toThrow(/not valid JSON/);
    expect(() => parseDirManifest(Buffer.from('[{"md5": "x", "relpath": "a"}]'), 'm')).toThrow(/md5/);
  });
});
