import { createServer } from 'node:net';

/**
 * Fails with a clear message when the port is taken, before a process opens its catalog (grpc-js
 * would only say "No address added out of total 1 resolved" after everything else had started).
 * A probe, not a reservation: the real server binds right after start-up.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(
          new Error(`port ${port} on ${host} is already in use (another feature store, or another program); stop it or choose another port with PORT=<n>`),
        );
      else if (err.code === 'EACCES') reject(new Error(`port ${port} on ${host} needs privileges this process lacks; choose a port above 1024 with PORT=<n>`));
      else reject(err);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
