import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readBundle, readBundleFolder, readBundleZip } from '../../../../shared/pipeline/artifacts/version_bundle';
import { makeZip } from '../../../unit/data/images/fixtures';

/** A version folder from elsewhere, as a folder or a zip: only mloop's own files, nothing that escapes. */
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-bundle-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const manifest = Buffer.from('{"format_version": 2}');
const onnx = Buffer.from('onnx bytes');

describe('reading a version bundle', () => {
  it('reads a zip of the folder, at its root or in one top folder, and leaves other files behind', async () => {
    const root = await readBundleZip(makeZip([{ name: 'manifest.json', data: manifest }, { name: 'model.onnx', data: onnx, deflate: true }, { name: 'notes.txt', data: Buffer.from('x') }]));
    expect([...root.keys()].sort()).toEqual(['manifest.json', 'model.onnx']);
    expect(root.get('model.onnx')).toEqual(onnx);
    const nested = await readBundleZip(makeZip([{ name: 'out/' }, { name: 'out/manifest.json', data: manifest }, { name: 'out/model.onnx', data: onnx }, { name: 'out/misclassified/0.png', data: onnx }]));
    expect([...nested.keys()].sort()).toEqual(['manifest.json', 'model.onnx']);
  });

  it('refuses a zip with no manifest, two version folders, a link or a path that climbs out', async () => {
    await expect(readBundleZip(makeZip([{ name: 'model.onnx', data: onnx }]))).rejects.toThrow(/holds no manifest.json/);
    await expect(readBundleZip(makeZip([{ name: 'a/manifest.json', data: manifest }, { name: 'b/manifest.json', data: manifest }]))).rejects.toThrow(/2 version folders \(a, b\)/);
    await expect(readBundleZip(makeZip([{ name: 'manifest.json', data: manifest }, { name: 'model.onnx', data: Buffer.from('/etc/passwd'), mode: 0o120777 }]))).rejects.toMatchObject({ reason: 'link_entry' });
    await expect(readBundleZip(makeZip([{ name: '../manifest.json', data: manifest }]))).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(readBundleZip(Buffer.from('not a zip at all'))).rejects.toMatchObject({ reason: 'unknown_format' });
  });

  it('reads a folder, refusing a symbolic link in it, and says what is missing', async () => {
    const folder = path.join(dir, 'v');
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, 'manifest.json'), manifest);
    fs.writeFileSync(path.join(folder, 'model.onnx'), onnx);
    expect([...(await readBundle(folder)).keys()].sort()).toEqual(['manifest.json', 'model.onnx']);
    fs.symlinkSync('/etc/hostname', path.join(folder, 'holdout.ndjson'));
    expect(() => readBundleFolder(folder)).toThrow(/holdout.ndjson is a symbolic link/);
    await expect(readBundle(path.join(dir, 'absent'))).rejects.toMatchObject({ code: 'not_found' });
    const empty = path.join(dir, 'empty');
    fs.mkdirSync(empty);
    expect(() => readBundleFolder(empty)).toThrow(/holds no manifest.json/);
  });
});
