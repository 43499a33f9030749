import type { ImageTrainingData } from '../../data/images/image_spec';
import { thumbnailPng } from '../../data/images/thumbnail';
import { pickMisclassified, type Misclassified } from '../../ml/misclassified';
import type { ArtifactFile } from './version_files';

/**
 * Thumbnails of the test images the candidate got wrong, for the run page: `misclassified/<i>.png` in
 * the version folder, i from 0, with what each one is listed in curves.json. The names are numbers made
 * here, never an archive entry's name, which the uploader chose.
 */
export const MISCLASSIFIED_FOLDER = 'misclassified/';

export const thumbnailFile = (index: number) => `${MISCLASSIFIED_FOLDER}${index}.png`;

export interface MisclassifiedThumbnails {
  list: Misclassified[];
  files: ArtifactFile[];
}

/** `test`: the candidate's probabilities on the test split [n × K], rows as in data.test. */
export async function misclassifiedThumbnails(data: ImageTrainingData, test: ArrayLike<number>): Promise<MisclassifiedThumbnails> {
  const list = pickMisclassified(data.test.y, test, data.classes);
  const files: ArtifactFile[] = [];
  for (const [index, wrong] of list.entries()) {
    files.push({ name: thumbnailFile(index), data: await thumbnailPng(data.test.x, wrong.row, data.spec), contentType: 'image/png' });
  }
  return { list, files };
}
