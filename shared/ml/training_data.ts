import type { PreparedData } from '../data/prepare';

/** What a trainer reads: the task, the encoding and the two splits it may look at (never the test split). */
export type TrainingData = Pick<PreparedData, 'task' | 'classes' | 'specs' | 'train' | 'validation'>;
