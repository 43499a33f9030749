import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { grown } from '../shared/data/grown';

/**
 * A closed-loop HTTP/1.1 load tool for bench:serve: `connections` keep-alive sockets, each sending its
 * next request the moment the last response has fully arrived (as autocannon does at pipelining 1), the
 * requests prebuilt as bytes. It exists because the load tool shares this machine's two cores with the
 * servers it measures: autocannon spent about 47 µs of CPU per request here, so at 10 000 requests/s it
 * took half a core from the server under test, and the faster the server, the more it took (against a
 * reference at 3 600 requests/s it took a sixth as much), which capped the fast server's number and
 * flattered the ratio less than the truth. This one reads only the status line, the content-length
 * header and the body's length, so that more of the cores go to the server. Responses must carry a
 * content-length (node:http and uvicorn both do for these replies).
 */
export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  seconds: number;
  /** Milliseconds per successful request, in completion order. */
  latencies: Float64Array;
}

const HEADER_END = Buffer.from('\r\n\r\n');

export async function httpLoad(url: string, bodies: string[], connections: number, seconds: number): Promise<LoadResult> {
  const { hostname, port, pathname } = new URL(url);
  const requests = bodies.map((body) =>
    Buffer.from(`POST ${pathname} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  );
  let latencies = new Float64Array(1 << 16);
  let done = 0;
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;

  const record = (ms: number) => {
    if (done === latencies.length) latencies = grown(latencies);
    latencies[done++] = ms;
  };

  const client = () =>
    new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), hostname);
      socket.setNoDelay(true);
      let pending: Buffer = Buffer.alloc(0);
      let bodyLeft = -1;
      let status = 0;
      let at = 0;
      const next = () => {
        if (performance.now() >= deadline) {
          socket.end();
          return;
        }
        at = performance.now();
        socket.write(requests[sent++ % requests.length]);
      };
      socket.on('connect', next);
      socket.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        for (;;) {
          if (bodyLeft < 0) {
            const end = pending.indexOf(HEADER_END);
            if (end < 0) return;
            const head = pending.toString('latin1', 0, end);
            status = Number(head.slice(9, 12));
            const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
            bodyLeft = length ? Number(length[1]) : 0;
            pending = pending.subarray(end + 4);
          }
          if (pending.length < bodyLeft) return;
          pending = pending.subarray(bodyLeft);
          bodyLeft = -1;
          if (status >= 200 && status < 300) record(performance.now() - at);
          else non2xx++;
          next();
          if (pending.length === 0) return;
        }
      });
      socket.on('error', () => {
        errors++;
      });
      socket.on('close', () => resolve());
    });

  await Promise.all(Array.from({ length: connections }, client));
  return { requests: done + non2xx, errors, non2xx, seconds: (performance.now() - started) / 1000, latencies: latencies.subarray(0, done) };
}

/**
 * The same closed loop driven by wrk (a C load tool, `apt-get install wrk`), when it is installed:
 * one thread, `connections` sockets, the prebuilt bodies in turn. Its CPU per request is a fraction of
 * any Node client's, so of the three tools it leaves the servers the most of the two cores. Null when
 * wrk is not on the PATH. Latencies come as wrk's p50/p99 (microsecond histogram), not a list.
 */
export function wrkLoad(url: string, bodies: string[], connections: number, seconds: number): (LoadResult & { p50_ms: number; p99_ms: number; tool_cpu_s: number }) | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mloop-wrk-'));
  try {
    const script = path.join(dir, 'bodies.lua');
    const { pathname } = new URL(url);
    const quoted = bodies.map((body) => `wrk.format("POST", ${JSON.stringify(pathname)}, { ["Content-Type"] = "application/json" }, [==[${body}]==])`);
    fs.writeFileSync(
      script,
      // built in init: wrk.format takes the Host header from wrk.headers, which is set only by then
      `local requests = {}
local i = 0
init = function(_) requests = { ${quoted.join(',\n')} } end
request = function() i = i % #requests + 1; return requests[i] end
done = function(summary, latency, _)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d %d\\n", summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50), latency:percentile(99)))
end
`,
    );
    // bash's \`times\` reports the CPU its children used: wrk's own, which the bench reports beside
    const run = spawnSync('bash', ['-c', 'wrk "$@" && times', 'wrk', '-t', '1', '-c', String(connections), '-d', `${seconds}s`, '-s', script, url], { encoding: 'utf8' });
    if (run.error || run.status === 127) return null;
    if (run.status !== 0) throw new Error(`wrk failed: ${run.stderr}`);
    const found = /^WRK (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$/m.exec(run.stdout);
    if (!found) throw new Error(`wrk printed no summary: ${run.stdout}`);
    const [requests, durationUs, errors, non2xx, p50, p99] = found.slice(1).map(Number);
    const times = /\n(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(run.stdout);
    const cpu = times ? Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]) : NaN;
    return { requests, errors, non2xx, seconds: durationUs / 1e6, latencies: new Float64Array(0), p50_ms: p50 / 1000, p99_ms: p99 / 1000, tool_cpu_s: cpu };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
