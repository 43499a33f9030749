/** A worker's request for the cluster's metrics, and the primary's answer with the same id. */
export const METRICS_REQUEST = 'mloop:metrics';

export interface MetricsMessage {
  type: typeof METRICS_REQUEST;
  id: number;
  text?: string;
}

let nextRequest = 0;
const pending = new Map<number, (text: string) => void>();

/** In a worker: the metrics of every worker, summed by the primary. */
export function clusterMetricsText(): Promise<string> {
  if (pending.size === 0) {
    process.on('message', onMetrics);
  }
  const id = nextRequest++;
  return new Promise<string>((resolve) => {
    pending.set(id, resolve);
    process.send!({ type: METRICS_REQUEST, id });
  });
}

function onMetrics(message: MetricsMessage): void {
  if (message?.type !== METRICS_REQUEST || message.text === undefined) return;
  pending.get(message.id)?.(message.text);
  pending.delete(message.id);
  if (pending.size === 0) process.off('message', onMetrics);
}
