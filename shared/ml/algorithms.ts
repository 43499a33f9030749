/** Every model family mloop trains; kept apart from the trainers so that serving code need not load them. */
export const ALGORITHMS = ['mlp', 'logistic', 'gbdt', 'isolation_forest'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
