import { networkFamily } from '../network/descriptor';

/**
 * Logistic regression — softmax regression for classes, linear regression for a value — as a network
 * without hidden layers; `hidden_units` is ignored and not recorded.
 */
export const logistic = networkFamily('logistic');
