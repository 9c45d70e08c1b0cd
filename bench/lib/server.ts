// What a bench scenario sees of an Airlock server the bench started: its URL, the admin key, a
// JSON request helper and a way to stop it (and remove its data dir).
export interface BenchServer {
  url: string;
  /** The admin key (sent as Bearer). */
  key: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/** Starts a fresh server with these AIRLOCK_* settings on top of the bench's own. */
export type StartServer = (env: Record<string, string>) => Promise<BenchServer>;
