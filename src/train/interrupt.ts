/**
 * Ctrl-C (SIGINT) and SIGTERM while a training session is open: the first one asks the session to
 * stop after the step in progress and save a checkpoint (a scheduler's time limit loses nothing);
 * a second one ends the process at once, unless another handler owns the signal (a notebook
 * kernel, whose "interrupt" sends SIGINT: then the session stops and the kernel stays up).
 *
 * Node runs a signal handler only when the event loop turns, so the session yields to it before
 * every step (`yieldToEventLoop`): a training on an in-memory dataset never awaits real I/O.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

const SIGNALS: StopSignal[] = ['SIGINT', 'SIGTERM'];
/** The exit status of a process ended by `signal` (128 + its number), as a shell reports it. */
export const SIGNAL_EXIT_CODE: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** How a stopped run goes on: `wsol train` asks for --resume, `wsol reproduce` and notebooks resume by themselves. */
export const CONTINUE_HINT = 'to continue, run the same command again (wsol train: add --resume)';

/** Thrown by a session's step after a signal stopped it; the checkpoint is saved by then. */
export class TrainingInterruptedError extends Error {
  readonly exitCode: number;
  constructor(
    readonly signal: StopSignal,
    readonly checkpoint: string,
    readonly epoch: number,
    readonly step: number,
  ) {
    super(`training stopped by ${signal} at epoch ${epoch}, step ${step}; checkpoint ${checkpoint} (${CONTINUE_HINT})`);
    this.name = 'TrainingInterruptedError';
    this.exitCode = SIGNAL_EXIT_CODE[signal];
  }
}

export interface InterruptWatch {
  /** The first signal received since the watch began (null: none). */
  readonly pending: StopSignal | null;
  /** Forgets the pending signal once the session has stopped for it. */
  clear(): void;
  release(): void;
}

/** One set of process handlers shared by every open watch. */
const state = { watchers: new Set<{ pending: StopSignal | null; notice?: (line: string) => void }>(), installed: false };

function onSignal(signal: StopSignal): void {
  const first = [...state.watchers].some((w) => w.pending === null);
  if (!first) {
    // Asked twice: stop now, unless someone else (a notebook kernel) also handles the signal.
    if (process.listenerCount(signal) <= 1) process.exit(SIGNAL_EXIT_CODE[signal]);
    return;
  }
  for (const w of state.watchers) {
    if (w.pending !== null) continue;
    w.pending = signal;
    w.notice?.(`${signal === 'SIGINT' ? 'interrupt' : 'SIGTERM'}: finishing this step and saving a checkpoint (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again to abort)`);
  }
}

const handlers: Record<StopSignal, () => void> = { SIGINT: () => onSignal('SIGINT'), SIGTERM: () => onSignal('SIGTERM') };

/** Starts watching for SIGINT and SIGTERM; `notice` hears the first one at once. */
export function watchInterrupts(notice?: (line: string) => void): InterruptWatch {
  const w: { pending: StopSignal | null; notice?: (line: string) => void } = { pending: null, notice };
  state.watchers.add(w);
  if (!state.installed) {
    for (const s of SIGNALS) process.on(s, handlers[s]);
    state.installed = true;
  }
  return {
    get pending() {
      return w.pending;
    },
    clear() {
      w.pending = null;
    },
    release() {
      state.watchers.delete(w);
      if (state.watchers.size === 0 && state.installed) {
        for (const s of SIGNALS) process.off(s, handlers[s]);
        state.installed = false;
      }
    },
  };
}

/** Lets pending I/O callbacks and signal handlers run (a macrotask turn, not just microtasks). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
