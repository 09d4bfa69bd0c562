/** The last `capacity` keys added: a memory of what was seen lately that does not grow past its size. */
export class RecentSet {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  /** Whether `key` is new to the set (it is then remembered, and the oldest forgotten past capacity). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }
}
