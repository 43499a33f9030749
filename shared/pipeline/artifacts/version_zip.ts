import type { Readable } from 'node:stream';
import * as yazl from 'yazl';
import { MloopError } from '../../core/errors';
import type { Context } from '../context';
import { artifactsPrefix } from '../store/documents';

/**
 * A version folder as a zip, streamed: each object is read from the bucket only when yazl reaches it,
 * so a large ONNX never sits whole in memory. The entries are the folder's own names, at the zip's
 * root, which is what `mloop models import` reads back.
 */
export async function versionZip(ctx: Context, model: string, version: string): Promise<{ stream: Readable; files: string[] }> {
  const prefix = artifactsPrefix(model, version);
  const objects = await ctx.platform.objects.list(ctx.config.artifactsBucket, prefix);
  if (objects.length === 0) throw new MloopError('not_found', `${model} ${version} has no artifacts under ${prefix}`);
  const zip = new yazl.ZipFile();
  const files = objects.map((object) => object.name.slice(prefix.length));
  for (const object of objects) {
    const name = object.name.slice(prefix.length);
    // already-compressed ONNX weights gain little from deflate; text files do
    const compress = !name.endsWith('.onnx');
    const stream = await ctx.platform.objects.createReadStream(object.bucket, object.name);
    zip.addReadStream(stream, name, { compress });
  }
  zip.end();
  return { stream: zip.outputStream as unknown as Readable, files };
}
