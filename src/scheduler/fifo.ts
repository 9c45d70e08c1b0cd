// An intrusive doubly linked FIFO: O(1) push, shift and removal from the middle (a waiter that
// timed out or was aborted). Items carry their own `prev`/`next` links, so queueing allocates
// nothing; an item may be in at most one Fifo at a time, and callers track membership.

export interface Linked<T> {
  prev: T | null;
  next: T | null;
}

export class Fifo<T extends Linked<T>> {
  #head: T | null = null;
  #tail: T | null = null;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** The oldest item, or null; walk on with `item.next`. */
  get head(): T | null {
    return this.#head;
  }

  push(item: T): void {
    item.prev = this.#tail;
    item.next = null;
    if (this.#tail === null) this.#head = item;
    else this.#tail.next = item;
    this.#tail = item;
    this.#size++;
  }

  shift(): T | null {
    const item = this.#head;
    if (item !== null) this.remove(item);
    return item;
  }

  /** Unlink an item that is in this list (the caller knows it is). */
  remove(item: T): void {
    if (item.prev === null) this.#head = item.next;
    else item.prev.next = item.next;
    if (item.next === null) this.#tail = item.prev;
    else item.next.prev = item.prev;
    item.prev = null;
    item.next = null;
    this.#size--;
  }
}
