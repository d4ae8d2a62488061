import { createServer, type IncomingMessage, type Server } from 'node:http';
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { InvalidArgument } from '../../core/errors.js';
import { errorReply } from '../error-status.js';
import type { DeliveredHandler } from './idempotent.js';
import type { Logger } from '../logger.js';

const MAX_EVENT_BYTES = 1024 * 1024;

export interface RunningReceiver {
  port: number;
  shutdown(drainMs: number): Promise<void>;
}

/**
 * Receives CloudEvents over HTTP (binary or structured mode, CloudEvents HTTP binding 1.0) and
 * dispatches them by type. Replies come from the one error table: retryable errors answer 5xx or
 * 429 so Knative retries; others answer 400/422 so the event goes to the dead-letter sink. An
 * event is never answered 404. A handled event answers 202, a redelivered one (same source+id,
 * handled before) 200 without running again. GET /healthz and /readyz serve the probes.
 */
export async function startCloudEventReceiver(
  handlers: Record<string, DeliveredHandler>,
  options: { host: string; port: number; logger: Logger },
): Promise<RunningReceiver> {
  let ready = true;
  const logger = options.logger;
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/healthz' || req.url === '/readyz')) {
      const ok = req.url === '/healthz' || ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'draining');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST, GET' }).end();
      return;
    }
    void handle(req).then(({ status, message }) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(status < 300 ? '' : JSON.stringify({ error: message }));
    });
  });

  async function handle(req: IncomingMessage): Promise<{ status: number; message: string }> {
    const started = performance.now();
    let event: CloudEventV1<unknown> | undefined;
    try {
      event = parse(req.headers, await readBody(req));
      const handler = handlers[event.type];
      if (!handler) throw new InvalidArgument(`this function does not handle events of type ${event.type}`, { field: 'type' });
      const controller = new AbortController();
      const outcome = await handler(event, { logger: logger.child({ eventId: event.id, eventType: event.type }), signal: controller.signal });
      logger.debug({ eventId: event.id, type: event.type, outcome, ms: Math.round(performance.now() - started) }, 'event handled');
      // 202: handled now; 200: handled before (a redelivery), nothing done.
      return { status: outcome === 'duplicate' ? 200 : 202, message: '' };
    } catch (err) {
      const reply = errorReply(err);
      const entry = { eventId: event?.id, type: event?.type, status: reply.eventHttp };
      if (reply.internal) logger.error({ ...entry, err }, 'event failed');
      else logger.warn({ ...entry, message: reply.message }, 'event refused');
      return { status: reply.eventHttp, message: reply.message };
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    shutdown(drainMs) {
      ready = false;
      return new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, drainMs);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}

function parse(headers: IncomingMessage['headers'], body: string): CloudEventV1<unknown> {
  try {
    const parsed = HTTP.toEvent({ headers: headers, body });
    if (Array.isArray(parsed)) throw new Error('batched events are not accepted');
    return parsed;
  } catch (err) {
    throw new InvalidArgument(`not a CloudEvent: ${(err as Error).message}`, { cause: err });
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_EVENT_BYTES) throw new InvalidArgument(`the event is larger than ${MAX_EVENT_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
