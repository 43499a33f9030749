import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { readArchive, LABELS_FILE, type ArchiveSource } from './archive';
import { scanImageDataset } from './dataset';
import type { ImageSpec } from './image_spec';

/**
 * Several archives of labelled images as one: a tar of every member's images under `<member id>/<entry>`
 * (so two archives' entries of one name stay apart, and a report names the archive an image came from)
 * and a labels.csv giving each its class, whatever the member said it with (folders, its own labels.csv,
 * a wrapping folder). The same image under the same class in two members is written once; under two
 * classes both copies are written, so that scanning the result leaves them out as label noise, with the
 * reason. Members are read one at a time and not decoded here: the scan of the result decodes every
 * image, and applies the class minimum to the union, where a class a later archive completes counts.
 */
export interface ComposeMember {
  /** Unique among the members, a safe folder name (a dataset version). */
  id: string;
  source: ArchiveSource | (() => Promise<ArchiveSource>);
}

export interface ComposedArchive {
  /** The tar, written as it is read. */
  stream: Readable;
  /** Settles when the whole tar is written, with the images written. */
  done: Promise<{ images: number }>;
}

const csvField = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);

// fixed times, so that the same members always give the same bytes
const MTIME = new Date(0);

export function composeImageArchives(members: readonly ComposeMember[], spec: ImageSpec): ComposedArchive {
  const pack = tar.pack();
  const write = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) => pack.entry({ name, size: data.length, mtime: MTIME }, data, (err) => (err ? reject(err) : resolve())));
  const done = (async () => {
    const written = new Set<string>();
    const labels: string[] = ['path,label'];
    for (const member of members) {
      const source = typeof member.source === 'function' ? await member.source() : member.source;
      const listed = await scanImageDataset(source, { spec, minImagesPerClass: 1, decode: false });
      const wanted = new Map<string, string>();
      for (const image of listed.images) {
        const key = `${image.label}\t${image.sha256}`;
        if (written.has(key)) continue;
        written.add(key);
        wanted.set(image.entry, image.label);
      }
      for await (const entry of readArchive(source, { read: (name, kind) => kind === 'image' && wanted.has(name) })) {
        const label = wanted.get(entry.name);
        if (!entry.bytes || label === undefined) continue;
        const name = `${member.id}/${entry.name}`;
        await write(name, entry.bytes);
        labels.push(`${csvField(name)},${csvField(label)}`);
      }
    }
    await write(LABELS_FILE, Buffer.from(`${labels.join('\n')}\n`, 'utf8'));
    pack.finalize();
    return { images: labels.length - 1 };
  })();
  done.catch((err: unknown) => pack.destroy(err as Error));
  return { stream: pack as unknown as Readable, done };
}
