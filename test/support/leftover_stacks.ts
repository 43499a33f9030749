import { killLeftovers } from './process_groups';

afterAll(killLeftovers);
