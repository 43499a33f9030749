import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { CONTROL, SHARD_OPS, shardWorker, WORKER_FUNCTIONS, type ShardView, type ShardWorkerData } from '../../../../../shared/ml/models/gbdt/shard_ops';

const SOURCE = WORKER_FUNCTIONS.map(String)
  .concat(`${shardWorker.name}(require('node:worker_threads').workerData);`)
  .join('\n');

function shared<T>(Type: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new Type(new SharedArrayBuffer(Math.max(1, length) * Type.BYTES_PER_ELEMENT));
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function waitDone(control: Int32Array, seq: number, errors: MessagePort): void {
  const until = Date.now() + 30_000;
  while (Atomics.load(control, CONTROL.done) !== seq) {
    if (Atomics.load(control, CONTROL.done) === -seq) throw new Error(`task ${seq} failed: ${receiveMessageOnPort(errors)?.message}`);
    if (Date.now() > until) throw new Error(`the worker did not finish task ${seq}`);
    Atomics.wait(control, CONTROL.done, Atomics.load(control, CONTROL.done), 100);
  }
}

describe('gbdt shard worker', () => {
  it('runs a task once even when the notify for it arrives after the task is done', async () => {
    // one validation row and a tree of one leaf: each run of addTree adds the leaf's value to its score
    const view = {
      n: 0,
      numClass: 1,
      shard: 0,
      shards: 1,
      block: 4096,
      indices: shared(Uint32Array, 0),
      scores: shared(Float64Array, 0),
      leafBegin: new Int32Array(1),
      leafCount: new Int32Array(1),
      leafValue: shared(Float64Array, 1).fill(0.5),
      valX: shared(Float32Array, 1),
      valBins: new Uint8Array(0),
      valN: 1,
      width: 1,
      valScores: shared(Float64Array, 1),
      treeFeature: shared(Int32Array, 1),
      treeThreshold: shared(Float64Array, 1),
      treeDefaultLeft: shared(Uint8Array, 1),
      treeLeft: shared(Int32Array, 1),
      treeRight: shared(Int32Array, 1),
    } as unknown as ShardView;
    const control = shared(Int32Array, CONTROL.words);
    const { port1, port2 } = new MessageChannel();
    const workerData: ShardWorkerData = { view, rows: 0, control, ops: SHARD_OPS, layout: CONTROL, errors: port2 };
    const worker = new Worker(SOURCE, { eval: true, workerData, transferList: [port2] });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      // task 1, its notify held back as if the main thread were preempted right after storing SEQ
      control[CONTROL.op] = SHARD_OPS.addTree;
      control.set([0, 0, 0, 0], CONTROL.args);
      Atomics.store(control, CONTROL.seq, 1);
      waitDone(control, 1, port1);
      // the late notify, once the worker sleeps again (notify says how many it woke); then once more,
      // so that whatever the first woke it to do is finished: it only sleeps between tasks
      while (Atomics.notify(control, CONTROL.seq) === 0) sleep(1);
      while (Atomics.notify(control, CONTROL.seq) === 0) sleep(1);
      expect(view.valScores[0]).toBe(0.5);
    } finally {
      Atomics.store(control, CONTROL.seq, -1);
      Atomics.notify(control, CONTROL.seq);
      await exited;
      port1.close();
    }
  });
});
