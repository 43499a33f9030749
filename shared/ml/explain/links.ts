import type { Link } from './explainer_file';

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** The served score of each output from the raw ones, as the model's ONNX graph maps them (in double). */
export function applyLink(link: Link, raw: Float64Array, norm = 1): Float64Array {
  switch (link) {
    case 'logistic':
      return raw.map(sigmoid);
    case 'identity':
      return raw.slice();
    case 'isolation':
      return raw.map((h) => 2 ** (-h / norm));
    case 'softmax': {
      const max = Math.max(...raw);
      const e = raw.map((z) => Math.exp(z - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    }
    case 'normalise': {
      const sum = raw.reduce((a, b) => a + b, 0);
      return raw.map((v) => (sum > 0 ? v / sum : 0));
    }
    case 'sigmoid_normalised': {
      const s = raw.map(sigmoid);
      const sum = s.reduce((a, b) => a + b, 0);
      return s.map((v) => v / sum);
    }
  }
}
