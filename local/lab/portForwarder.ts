import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface PortForwarder {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Listens on a fixed port of 127.0.0.1 and passes every connection through to `targetPort`: the
 * lab's AMQP broker always picks a free port, and the lab's documented settings name a fixed one.
 * No-delay on both sides, or Nagle's algorithm adds about 40 ms to every AMQP link attach.
 */
export async function forwardPort(port: number, targetPort: number): Promise<PortForwarder> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    track(client);
    track(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
