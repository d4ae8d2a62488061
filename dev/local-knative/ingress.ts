import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { Logger } from '../../shared/runtime/logger.js';

export interface RunningIngress {
  port: number;
  stop(): Promise<void>;
}

const { HTTP2_HEADER_STATUS, HTTP2_HEADER_CONTENT_TYPE, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;

/**
 * The local stand-in for the cluster's ingress (Kourier / Istio routing by gRPC service): one h2c
 * port that forwards each gRPC call, by the service in its path (`/featurestore.v1.IngestService/...`),
 * to the function serving it, streams and trailers included. Health checks go to any function.
 */
export async function startIngress(o: { host: string; port: number; routes: () => Map<string, number>; logger: Logger }): Promise<RunningIngress> {
  const sessions = new Map<number, ClientHttp2Session>();
  const session = (port: number): ClientHttp2Session => {
    const existing = sessions.get(port);
    if (existing && !existing.closed && !existing.destroyed) return existing;
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.on('error', () => {}); // surfaces on the streams
    s.on('close', () => sessions.get(port) === s && sessions.delete(port));
    s.unref();
    sessions.set(port, s);
    return s;
  };
  const grpcError = (stream: ServerHttp2Stream, code: number, message: string) => {
    if (stream.headersSent || stream.destroyed) return stream.close(NGHTTP2_INTERNAL_ERROR);
    stream.respond(
      { [HTTP2_HEADER_STATUS]: 200, [HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc', 'grpc-status': String(code), 'grpc-message': encodeURIComponent(message) },
      { endStream: true },
    );
  };

  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path'] ?? '');
    const service = path.split('/')[1] ?? '';
    const routes = o.routes();
    const port = routes.get(service) ?? (service === 'grpc.health.v1.Health' ? routes.values().next().value : undefined);
    if (port === undefined) return grpcError(stream, 12, `no function serves ${service || 'this path'}`);
    const upstream = session(port).request(forward(headers), { endStream: false });
    let trailers: IncomingHttpHeaders | undefined;
    upstream.on('response', (h) => {
      if (stream.destroyed) return;
      // A trailers-only reply (an error before any message) carries grpc-status in its headers.
      if (h['grpc-status'] !== undefined) {
        upstream.unpipe(stream);
        stream.respond(forward(h), { endStream: true });
      } else stream.respond(forward(h), { waitForTrailers: true });
    });
    upstream.on('trailers', (t: IncomingHttpHeaders) => void (trailers = t));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers ? forward(trailers) : {}));
    upstream.on('error', (err) => {
      o.logger.warn({ service, port, err: String(err) }, 'ingress: the function did not answer');
      grpcError(stream, 14, `the function serving ${service} is not reachable; it may be starting, try again`);
    });
    stream.on('close', () => upstream.destroyed || upstream.close(NGHTTP2_CANCEL));
    stream.on('error', () => upstream.close(NGHTTP2_CANCEL));
    stream.pipe(upstream);
    upstream.pipe(stream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : o.port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions.values()) s.destroy();
        server.close(() => resolve());
        setTimeout(resolve, 2000).unref();
      }),
  };
}

/** Request or reply headers minus what is per connection. */
function forward(h: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && k !== 'connection' && k !== 'keep-alive' && k !== 'transfer-encoding') out[k] = v;
  return out;
}
