import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { forwardPort } from '../../../local/lab/portForwarder';

let echo: Server;

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
});

afterAll(async () => {
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

async function roundTrip(port: number, text: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write(text);
  const [reply] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return reply.toString('utf8');
}

describe('the lab port forwarder', () => {
  it('passes a connection on its port through to the target, both ways', async () => {
    const forwarder = await forwardPort(0, (echo.address() as AddressInfo).port);
    try {
      expect(await roundTrip(forwarder.port, 'amqp frame')).toBe('amqp frame');
    } finally {
      await forwarder.close();
    }
  });

  it('stops listening and drops open connections when closed', async () => {
    const forwarder = await forwardPort(0, (echo.address() as AddressInfo).port);
    const open = connect(forwarder.port, '127.0.0.1');
    await once(open, 'connect');

    const closed = once(open, 'close');
    await forwarder.close();
    await closed;
    const refused = await new Promise<boolean>((resolve) => {
      const again = connect(forwarder.port, '127.0.0.1');
      again.once('connect', () => (again.destroy(), resolve(false)));
      again.once('error', () => resolve(true));
    });

    expect(refused).toBe(true);
  });
});
