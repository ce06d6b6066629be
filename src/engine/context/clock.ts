/**
 * The strategy's local clock, one instance shared by the context's parts, so the order state and
 * the account read the time instead of taking it as an argument (a ns time passed to a call that
 * is not inlined is boxed on the heap: docs/architecture.md, "Hot paths").
 */
export class LocalClock {
  /** Current local time (ns since the run's time base); NaN first, so a double field from the start. */
  now = NaN;

  constructor() {
    this.now = 0;
  }
}
