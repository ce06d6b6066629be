/** A throwaway redis-server (see redis-server.mjs). */
export interface RedisServer {
  /** redis://127.0.0.1:<port> (append /<queue name> for a queue URL). */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Temporary working directory of the server (removed by stop()). */
  readonly dir: string;
  readonly pid: number;
  /** What the server printed so far. */
  log(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** @default a free port */
  port?: number;
}

/** The redis-server program ($STRATEGY_LAB_REDIS_SERVER or redis-server on the PATH); throws naming `npm run setup` when missing. */
export function findRedisServer(): string;
export function startRedis(options?: StartRedisOptions): Promise<RedisServer>;
/** Runs `fn` with a fresh server and stops it afterwards, also when `fn` throws. */
export function withRedis<T>(fn: (server: RedisServer) => Promise<T>, options?: StartRedisOptions): Promise<T>;
