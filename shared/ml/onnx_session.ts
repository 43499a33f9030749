import * as ort from 'onnxruntime-node';

type NativeBinding = typeof import('onnxruntime-node/dist/binding');
type NativeSession = InstanceType<NativeBinding['binding']['InferenceSession']>;

export type OnnxOutputs = Record<string, { data: unknown; dims: readonly number[] }>;

/**
 * An onnxruntime session that scores synchronously where it can. onnxruntime-node's own run() calls the
 * same synchronous native run, on the same thread, but only after a setImmediate and through three
 * promises and a copy of every output into a new Tensor: for a one-row request that wrapping cost about
 * a quarter of the run itself. `runNow` is that native run alone; it is null when this onnxruntime-node
 * no longer ships its binding where 1.x did, and then `run` takes the public, asynchronous way.
 */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Only the `outputs` named are fetched from the session. */
  run(feeds: Record<string, ort.Tensor>, outputs: readonly string[]): Promise<OnnxOutputs>;
  readonly runNow: ((feeds: Record<string, ort.Tensor>, outputs: readonly string[]) => OnnxOutputs) | null;
  release(): Promise<void>;
}

let native: NativeBinding | null | undefined;

function nativeBinding(): NativeBinding | null {
  if (native !== undefined) return native;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const found = require('onnxruntime-node/dist/binding') as NativeBinding;
    native = typeof found.binding?.InferenceSession === 'function' && typeof found.initOrt === 'function' ? found : null;
  } catch {
    native = null;
  }
  return native;
}

/** Fetches objects, one per list of output names: the native run reads their keys on every call. */
const fetchesOf = new WeakMap<readonly string[], Record<string, null>>();

export async function createOnnxSession(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<OnnxSession> {
  const found = nativeBinding();
  if (!found) return publicSession(await ort.InferenceSession.create(bytes, options));
  // as onnxruntime-node's backend does: the Tensor class handed to the binding once, then a native session
  found.initOrt();
  const session: NativeSession = new found.binding.InferenceSession();
  // a turn of the event loop first, as InferenceSession.create takes: a load is not done inside the caller's turn
  await new Promise((resolve) => setImmediate(resolve));
  session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, options);
  const runOptions = {};
  const runNow = (feeds: Record<string, ort.Tensor>, outputs: readonly string[]): OnnxOutputs => {
    let fetches = fetchesOf.get(outputs);
    if (!fetches) fetchesOf.set(outputs, (fetches = Object.fromEntries(outputs.map((name) => [name, null]))));
    return session.run(feeds, fetches, runOptions) as unknown as OnnxOutputs;
  };
  let released = false;
  return {
    inputNames: session.inputMetadata.map((m) => m.name),
    outputNames: session.outputMetadata.map((m) => m.name),
    run: async (feeds, outputs) => runNow(feeds, outputs),
    runNow,
    release: async () => {
      if (released) return;
      released = true;
      session.dispose();
    },
  };
}

function publicSession(session: ort.InferenceSession): OnnxSession {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    run: (feeds, outputs) => session.run(feeds, outputs as string[]),
    runNow: null,
    release: () => session.release(),
  };
}
