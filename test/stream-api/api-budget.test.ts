import { describe, expect, it } from 'vitest';
import { BudgetGate, budgetOf } from '../../src/stream-api/api-budget.js';

const headers = (usedMs: number, limitMs = 3_000) => ({
  'x-budget-used-ms': String(usedMs),
  'x-budget-limit-ms': String(limitMs),
  'x-budget-remaining-ms': String(limitMs - usedMs),
});

/** A gate on a clock the test moves. */
function gate(share = 0.5) {
  const clock = { now: 1_000_000 };
  return { clock, gate: new BudgetGate(share, () => clock.now) };
}

describe('BudgetGate', () => {
  it('reads the X-Budget headers, and nothing from an answer without them', () => {
    expect(budgetOf(headers(120))).toEqual({ usedMs: 120, limitMs: 3_000 });
    expect(budgetOf({ 'x-ratelimit-limit': '60' })).toBeUndefined();
  });

  it('lets queries through while the app is under its share, and learns one query`s cost', () => {
    const { clock, gate: budget } = gate();
    expect(budget.wait()).toEqual({ waitMs: 0 });
    for (let used = 10; used <= 1_480; used += 10) {
      budget.observe(headers(used));
      clock.now += 5;
    }
    expect(budget.wait()).toEqual({ waitMs: 0 });
  });

  it('over its share by its own queries, waits until enough of them leave the minute', () => {
    const { clock, gate: budget } = gate();
    const start = clock.now;
    for (let used = 10; used <= 1_500; used += 10) {
      budget.observe(headers(used));
      clock.now += 5;
    }
    // 1,500 of 3,000 used, one more query of 10 ms would pass the half: the first one must leave the minute.
    const wait = budget.wait();
    expect(wait.why).toBe('ours');
    expect(clock.now + wait.waitMs).toBe(start + 60_000);
    clock.now = start + 60_001;
    expect(budget.wait()).toEqual({ waitMs: 0 });
  });

  it('over its share by the app`s own users, goes on at a trickle of one query a second, and pauses near the limit', () => {
    const { clock, gate: budget } = gate();
    budget.observe(headers(1_600));
    clock.now += 100;
    budget.observe(headers(1_610));
    clock.now += 100;
    expect(budget.wait()).toEqual({ waitMs: 900, why: 'theirs' });
    clock.now += 1_000;
    expect(budget.wait()).toEqual({ waitMs: 0 });
    budget.observe(headers(2_800));
    expect(budget.wait()).toEqual({ waitMs: 5_000, why: 'full' });
  });
});
