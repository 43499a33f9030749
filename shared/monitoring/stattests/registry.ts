import { MloopError } from '../../core/errors';
import { chiSquareStatTest } from './chisquare';
import { jensenShannonStatTest } from './jensenshannon';
import { ksStatTest } from './ks';
import { psiStatTest } from './psi';
import type { StatTest } from './stat_test';
import { wassersteinStatTest } from './wasserstein';
import { zStatTest } from './z';

/** Every drift test mloop.json can name; a new test is a file in this folder and a line here. */
export const STAT_TESTS = [ksStatTest, wassersteinStatTest, chiSquareStatTest, zStatTest, jensenShannonStatTest, psiStatTest] as const;

export type StatTestName = (typeof STAT_TESTS)[number]['name'];

export const STAT_TEST_NAMES: readonly StatTestName[] = STAT_TESTS.map((test) => test.name);

export function statTest(name: string): StatTest<StatTestName> {
  const found = STAT_TESTS.find((test) => test.name === name);
  if (!found) {
    throw new MloopError('invalid_argument', `unknown drift test "${name}": use one of ${STAT_TEST_NAMES.join(', ')} (or "auto", Evidently's default choice) as a feature's monitoring method`, {
      name,
      known: STAT_TEST_NAMES,
    });
  }
  return found;
}
