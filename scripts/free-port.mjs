// A free TCP port on 127.0.0.1 (listen on 0, read the port, close): for the throwaway servers that
// tests and benches start (PostgreSQL, Redis, Jupyter, the research server's clients).
import { createServer } from "node:net";

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}
