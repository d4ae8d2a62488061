// The gRPC binding: what an authenticator is handed, and the call's signal (made when a handler first
// reads it) aborting on the caller's cancellation and on the deadline, also when the call ended
// before the handler read it. Run once with unary calls answered straight from HTTP/2 (the default)
// and once with grpc-js answering them.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { Cancelled, DeadlineExceeded, Unauthenticated } from '../../shared/core/errors.js';
import type { Credentials } from '../../shared/core/ports/authenticator.js';
import { LOCAL_PRINCIPAL } from '../../shared/core/principal.js';
import { ProjectServiceClient, ProjectServiceService, type Project } from '../../shared/gen/featurestore/v1/project.js';
import { startGrpcServer, type RunningGrpcServer } from '../../shared/runtime/grpc/grpc-server.js';
import { bindService, type Handlers } from '../../shared/runtime/grpc/service-binding.js';
import { projectMessage } from '../support/grpc.js';
import { testLogger } from '../support/silent-logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const direct of [true, false])
  describe(`the gRPC service binding (${direct ? 'direct unary path' : 'grpc-js'})`, () => {
    let server: RunningGrpcServer;
    let client: ProjectServiceClient;
    const seen: Credentials[] = [];
    /** Why each handler's signal aborted, by the project name the call asked for. */
    const reasons = new Map<string, unknown>();
    const answered = new Map<string, () => void>();

    /** Waits for `name`'s signal to abort (reading it `readAfterMs` into the call) and records why. */
    async function waitForAbort(name: string, readAfterMs: number, ctx: { signal: AbortSignal }): Promise<never> {
      await sleep(readAfterMs);
      const signal = ctx.signal;
      if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      reasons.set(name, signal.reason);
      answered.get(name)?.();
      throw signal.reason;
    }

    before(async () => {
      const project = projectMessage;
      const handlers = {
        getProject: async (req, ctx) => {
          if (req.name === 'whoami') return project(ctx.principal.id);
          return waitForAbort(req.name, req.name.startsWith('late') ? 300 : 0, ctx);
        },
      } as Partial<Handlers<typeof ProjectServiceService>> as Handlers<typeof ProjectServiceService>;
      const binding = bindService('featurestore.v1.ProjectService', ProjectServiceService, handlers, {
        logger: testLogger,
        authenticator: {
          async authenticate(c) {
            seen.push(c);
            if (c.authorization === 'Bearer no') throw new Unauthenticated('refused');
            return LOCAL_PRINCIPAL;
          },
        },
      });
      server = await startGrpcServer([binding], { host: '127.0.0.1', port: 0, logger: testLogger, direct });
      assert.equal(server.direct, direct);
      client = new ProjectServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
    });
    after(async () => {
      client?.close();
      await server?.shutdown(100);
    });

    const getProject = (name: string, options: { metadata?: Metadata; deadline?: Date } = {}) => {
      const call = { cancel: () => {} };
      const done = new Promise<{ code: number; project?: Project }>((resolve) => {
        const c = client.getProject({ name }, options.metadata ?? new Metadata(), { deadline: options.deadline }, (err, res) =>
          resolve(err ? { code: err.code } : { code: status.OK, project: res }),
        );
        call.cancel = () => c.cancel();
      });
      return { done, cancel: () => call.cancel() };
    };
    const handlerDone = (name: string) => new Promise<void>((resolve) => answered.set(name, resolve));

    it('hands the authenticator the authorization header, and answers what it refuses UNAUTHENTICATED', async () => {
      const metadata = new Metadata();
      metadata.set('authorization', 'Bearer t0ken');
      const ok = await getProject('whoami', { metadata }).done;
      assert.equal(ok.code, status.OK);
      assert.equal(ok.project?.name, LOCAL_PRINCIPAL.id);
      assert.equal(seen.at(-1)?.authorization, 'Bearer t0ken');
      assert.equal((await getProject('whoami').done).code, status.OK);
      assert.equal(seen.at(-1)?.authorization, undefined);
      const refused = new Metadata();
      refused.set('authorization', 'Bearer no');
      assert.equal((await getProject('whoami', { metadata: refused }).done).code, status.UNAUTHENTICATED);
      assert.equal(server.directCalls, direct ? 3 : 0);
    });

    it("aborts the handler's signal when the caller cancels", async () => {
      const handled = handlerDone('cancelled');
      const call = getProject('cancelled');
      await sleep(100);
      call.cancel();
      assert.equal((await call.done).code, status.CANCELLED);
      await handled;
      assert.ok(reasons.get('cancelled') instanceof Cancelled, String(reasons.get('cancelled')));
    });

    it('aborts it when the deadline passes', async () => {
      const handled = handlerDone('overdue');
      const started = Date.now();
      const { code } = await getProject('overdue', { deadline: new Date(Date.now() + 150) }).done;
      assert.equal(code, status.DEADLINE_EXCEEDED);
      await handled;
      assert.ok(reasons.get('overdue') instanceof DeadlineExceeded, String(reasons.get('overdue')));
      assert.ok(Date.now() - started < 5_000);
    });

    it('hands a signal already aborted to a handler that first reads it after the call was cancelled or overdue', async () => {
      const cancelledFirst = handlerDone('late-cancel');
      const call = getProject('late-cancel');
      await sleep(50);
      call.cancel();
      await call.done;
      await cancelledFirst;
      assert.ok(reasons.get('late-cancel') instanceof Cancelled, String(reasons.get('late-cancel')));

      const overdueFirst = handlerDone('late-deadline');
      assert.equal((await getProject('late-deadline', { deadline: new Date(Date.now() + 50) }).done).code, status.DEADLINE_EXCEEDED);
      await overdueFirst;
      assert.ok(reasons.get('late-deadline') instanceof DeadlineExceeded, String(reasons.get('late-deadline')));
    });
  });
