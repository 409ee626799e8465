/**
 * The abort controller TS steps share within a scenario: one controller (and
 * one rejection promise) reused until a step is aborted, so a step costs no
 * listener churn. An interrupt aborts it for ordinary steps; a second
 * interrupt (the hard one) also for FINALLY steps. It listens to the
 * interrupts only once a TS step asked for the controller: a scenario of
 * shell steps costs nothing here.
 */
export class StepAborts {
  private state: { controller: AbortController; aborted: Promise<never> } | undefined;
  private final = false;
  private listening = false;
  private readonly onSoft = () => {
    if (!this.final) this.state?.controller.abort(new Error('interrupted'));
  };
  private readonly onHard = () => this.state?.controller.abort(new Error('interrupted'));

  constructor(
    private readonly soft: AbortSignal,
    private readonly hard: AbortSignal,
  ) {}

  /** The controller for the next step, which is a FINALLY step when `signal` is the hard one. */
  current(signal: AbortSignal): { controller: AbortController; aborted: Promise<never> } {
    if (!this.listening) {
      this.listening = true;
      this.soft.addEventListener('abort', this.onSoft, { once: true });
      if (this.hard !== this.soft) this.hard.addEventListener('abort', this.onHard, { once: true });
    }
    this.final = signal === this.hard && this.hard !== this.soft;
    // Aborted by an interrupt between steps: a FINALLY step still gets a live controller.
    if (this.state?.controller.signal.aborted && !signal.aborted) this.state = undefined;
    if (!this.state) {
      const controller = new AbortController();
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      aborted.catch(() => {});
      this.state = { controller, aborted };
    }
    if (signal.aborted && !this.state.controller.signal.aborted)
      this.state.controller.abort(new Error('interrupted'));
    return this.state;
  }

  /** Forgets an aborted controller (the next step gets a fresh one). */
  reset(): void {
    this.state = undefined;
  }

  dispose(): void {
    if (!this.listening) return;
    this.listening = false;
    this.soft.removeEventListener('abort', this.onSoft);
    this.hard.removeEventListener('abort', this.onHard);
  }
}
