import net from 'node:net';

/**
 * A TCP port free on 127.0.0.1 right now (the kernel's pick for port 0, released). Another process
 * may take it before the caller binds: callers that must know the port before binding (a public
 * address, redis-server) retry on "address in use".
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
