import { networkFamily } from '../network/descriptor';

/** A dense network with hidden Relu layers, trained with TensorFlow.js. */
export const mlp = networkFamily('mlp');
