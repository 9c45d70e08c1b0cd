// The launch inputs that come with every launch (the harness, its clients, the seccomp filter:
// about 65 KiB together) travel to the spawner process once, not once per sandbox. Serializing
// and piping them with each launch cost the server's event loop about 1.3 ms per sandbox, on a
// first call's path when the pool is empty and beside warm calls on every refill. The server
// side (SharedInputs) sends an input marked `reused` ahead of the first launch that needs it, as
// an `input` message with a number, and names it by that number from then on; the spawner side
// (SpawnerInputs) keeps what it was sent and puts the bytes back in. IPC keeps message order, so
// an input always arrives before the launches that name it. A new spawner process starts with
// nothing: the server side is reset with it.
import type { LaunchInput, LaunchRequest } from './types.js';
import type { InputMessage, WireInput, WireLaunchRequest } from './messages.js';

/** Most distinct inputs one spawner keeps; past it, inputs travel with each launch again. */
export const MAX_SHARED_INPUTS = 32;

export class SharedInputs {
  private keys = new WeakMap<Buffer, number>();
  private count = 0;

  /** Forget what was sent: the spawner process that held it is gone. */
  reset(): void {
    this.keys = new WeakMap();
    this.count = 0;
  }

  /** The launch as it goes on the wire, and the inputs to send ahead of it (first use only). */
  wire(req: LaunchRequest): { ahead: InputMessage[]; req: WireLaunchRequest } {
    const ahead: InputMessage[] = [];
    const inputs = req.inputs.map((input): WireInput => {
      if (input.reused !== true) return { fd: input.fd, data: input.data };
      let key = this.keys.get(input.data);
      if (key === undefined) {
        if (this.count >= MAX_SHARED_INPUTS) return { fd: input.fd, data: input.data };
        key = ++this.count;
        this.keys.set(input.data, key);
        ahead.push({ op: 'input', key, data: input.data });
      }
      return { fd: input.fd, key };
    });
    return { ahead, req: { ...req, inputs } };
  }
}

export class SpawnerInputs {
  private readonly held = new Map<number, Buffer>();

  keep(msg: InputMessage): void {
    this.held.set(msg.key, msg.data);
  }

  /** The launch with every input's bytes; throws when it names an input never sent. */
  resolve(req: WireLaunchRequest): LaunchRequest {
    const inputs = req.inputs.map((input): LaunchInput => {
      if ('data' in input) return { fd: input.fd, data: input.data };
      const data = this.held.get(input.key);
      if (data === undefined) throw new Error(`launch input ${input.key} for fd ${input.fd} was never received`);
      return { fd: input.fd, data };
    });
    return { ...req, inputs };
  }
}
