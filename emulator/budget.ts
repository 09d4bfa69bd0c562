// Stream's API budget for query channels (stream-export-api.md §8.4): each query costs database time by
// the docs' cheap-query rules, counted over a sliding minute shared with the app's own users.

/** Filter fields the docs call efficient; any other (member_count, frozen, custom fields…) is expensive. */
export const CHEAP_FILTER_FIELDS: readonly string[] = [
  'cid',
  'type',
  'last_message_at',
  'last_updated',
  'created_at',
  'updated_at',
  'members',
  'has_unread',
  'team',
];
/** Sort fields the docs call efficient. */
export const CHEAP_SORT_FIELDS: readonly string[] = ['last_updated', 'last_message_at', 'created_at', 'updated_at'];
const EXPENSIVE_OPERATORS: readonly string[] = ['$nin', '$ne', '$nor', '$autocomplete', '$contains', '$q'];
const LOGICAL = new Set(['$and', '$or', '$nor']);
const MAX_IN = 3;
const MAX_AND = 3;
const MAX_OR = 2;
const WINDOW_MS = 60_000;

export interface QueryCost {
  cheap: boolean;
  /** Why the query is expensive, one line per broken rule; empty when cheap. */
  reasons: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Conditions a filter object adds to a conjunction: each key is one, an explicit `$and` adds its entries' keys. */
function andConditions(filter: Record<string, unknown>): number {
  return Object.entries(filter).reduce(
    (count, [key, value]) =>
      count +
      (key === '$and' && Array.isArray(value) ? value.reduce<number>((n, part) => n + (isObject(part) ? Math.max(1, Object.keys(part).length) : 1), 0) : 1),
    0,
  );
}

/**
 * Whether a QueryChannels body follows every cheap-query rule of the docs (§8.4): efficient filter and
 * sort fields only; `$in` with at most 3 values; at most 3 `$and` conditions (each top-level key counts as
 * one, and so does each key of an explicit `$and`'s entries); at most 2 `$or` branches; one logical
 * operator at most, none inside another (an `$or` branch of several keys is an `$and` inside `$or`); never
 * `$nin $ne $nor $autocomplete $contains $q`. Pure; a malformed body is judged on what can be read of it.
 */
export function queryCost(body: unknown): QueryCost {
  const reasons: string[] = [];
  const request = isObject(body) ? body : {};
  const filter = isObject(request.filter_conditions) ? request.filter_conditions : {};
  let logical = 0;

  const visit = (node: Record<string, unknown>, inside: string | undefined): void => {
    for (const [key, value] of Object.entries(node)) {
      if (LOGICAL.has(key)) {
        logical++;
        if (key === '$nor') reasons.push('operator $nor is never efficient');
        if (inside !== undefined) reasons.push(`${key} inside ${inside}`);
        const parts = Array.isArray(value) ? value.filter(isObject) : [];
        if (key === '$or' && parts.length > MAX_OR) reasons.push(`$or with ${parts.length} branches (at most ${MAX_OR})`);
        for (const part of parts) {
          if (key === '$or' && Object.keys(part).length > 1) reasons.push('$and inside $or (a branch with several conditions)');
          visit(part, key);
        }
        continue;
      }
      if (key.startsWith('$')) {
        reasons.push(`operator ${key} is never efficient`);
        continue;
      }
      if (!CHEAP_FILTER_FIELDS.includes(key)) reasons.push(`filter field ${key} is not efficient`);
      if (!isObject(value)) continue;
      for (const [operator, operand] of Object.entries(value)) {
        if (EXPENSIVE_OPERATORS.includes(operator)) reasons.push(`operator ${operator} on ${key} is never efficient`);
        if (operator === '$in' && Array.isArray(operand) && operand.length > MAX_IN) {
          reasons.push(`$in on ${key} with ${operand.length} values (at most ${MAX_IN})`);
        }
      }
    }
  };
  visit(filter, undefined);

  if (logical > 1) reasons.push(`${logical} logical operators (at most one)`);
  const conditions = andConditions(filter);
  if (conditions > MAX_AND) reasons.push(`${conditions} $and conditions (at most ${MAX_AND})`);
  const sort = Array.isArray(request.sort) ? request.sort : [];
  for (const item of sort) {
    const field = isObject(item) ? item.field : undefined;
    if (typeof field === 'string' && !CHEAP_SORT_FIELDS.includes(field)) reasons.push(`sort field ${field} is not efficient`);
  }
  return { cheap: reasons.length === 0, reasons };
}

export interface BudgetOptions {
  /** Database time the app may spend per sliding minute, in ms. Default 60,000: normal tests never reach it. */
  limitMs?: number;
  /** Cost of a query that follows every cheap-query rule. Default 10. */
  cheapMs?: number;
  /** Cost of any other query. Default 300. */
  expensiveMs?: number;
  /**
   * Fraction (0–1) of the limit the app's own users spend by themselves, evenly over time: that many ms
   * count as spent in every sliding minute. Default 0.
   */
  ownUsersShare?: number;
}

export interface BudgetUsage {
  /** The app's use in the sliding minute (own users included), in ms. */
  usedMs: number;
  limitMs: number;
  remainingMs: number;
}

export interface BudgetStats {
  /** The highest X-Budget-Used-Ms of any answer. */
  usedPeakMs: number;
  /** Query-channels requests judged expensive (answered, refused by the budget, or refused as bad input). */
  expensiveQueries: number;
  /** Queries refused with 429 because the budget was spent. */
  refused: number;
}

export type Admission = { admitted: true; usage: BudgetUsage } | { admitted: false; usage: BudgetUsage; retryAfterSeconds: number };

function share(value: number): number {
  if (!Number.isFinite(value) || value < 0 || value > 1) throw new Error(`emulator: budget.ownUsersShare must be between 0 and 1, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new Error(`emulator: budget.${name} must be a number >= 0, got ${value}`);
  return value;
}

export class Budget {
  readonly limitMs: number;
  readonly cheapMs: number;
  readonly expensiveMs: number;
  private ownShare: number;
  /** Queries charged in the last minute, oldest first. */
  private spent: { at: number; ms: number }[] = [];
  readonly stats: BudgetStats = { usedPeakMs: 0, expensiveQueries: 0, refused: 0 };

  constructor(
    private readonly now: () => Date,
    options: BudgetOptions = {},
  ) {
    this.limitMs = nonNegative('limitMs', options.limitMs ?? 60_000);
    this.cheapMs = nonNegative('cheapMs', options.cheapMs ?? 10);
    this.expensiveMs = nonNegative('expensiveMs', options.expensiveMs ?? 300);
    this.ownShare = share(options.ownUsersShare ?? 0);
  }

  /** From now on, the app's own users spend this fraction (0–1) of the limit in every sliding minute. */
  setOwnUsersShare(value: number): void {
    this.ownShare = share(value);
  }

  costOf(cost: QueryCost): number {
    return cost.cheap ? this.cheapMs : this.expensiveMs;
  }

  /** The sliding minute's use now, without charging anything. */
  usage(): BudgetUsage {
    const usedMs = this.ownMs() + this.recent().reduce((sum, entry) => sum + entry.ms, 0);
    return { usedMs, limitMs: this.limitMs, remainingMs: Math.max(0, this.limitMs - usedMs) };
  }

  /** The use an answer reports now (its peak is kept in the stats). */
  reported(): BudgetUsage {
    const usage = this.usage();
    this.stats.usedPeakMs = Math.max(this.stats.usedPeakMs, usage.usedMs);
    return usage;
  }

  /** Whether a query of `ms` fits in the budget now; if not, the whole seconds until enough of the window frees. */
  admit(ms: number): Admission {
    const usage = this.reported();
    if (usage.usedMs + ms <= this.limitMs) return { admitted: true, usage };
    this.stats.refused++;
    return { admitted: false, usage, retryAfterSeconds: this.secondsUntilFree(usage.usedMs + ms - this.limitMs) };
  }

  /** Charges an admitted query that ran; returns the use including it. */
  charge(ms: number): BudgetUsage {
    this.spent.push({ at: this.now().getTime(), ms });
    return this.reported();
  }

  countExpensive(): void {
    this.stats.expensiveQueries++;
  }

  private ownMs(): number {
    return Math.round(this.limitMs * this.ownShare);
  }

  private recent(): { at: number; ms: number }[] {
    const since = this.now().getTime() - WINDOW_MS;
    while (this.spent.length > 0 && (this.spent[0] as { at: number }).at <= since) this.spent.shift();
    return this.spent;
  }

  /** Seconds until queries worth `excess` ms leave the window; a full minute if they never can (own users alone). */
  private secondsUntilFree(excess: number): number {
    const now = this.now().getTime();
    let freed = 0;
    for (const entry of this.recent()) {
      freed += entry.ms;
      if (freed >= excess) return Math.max(1, Math.ceil((entry.at + WINDOW_MS - now) / 1000));
    }
    return WINDOW_MS / 1000;
  }
}
