// The little the sandbox pool (and its refill and binding helpers) needs of a logger: a pino
// logger fits, and tests can pass a recorder.
export interface PoolLogger {
  warn(obj: object, msg: string): void;
}
