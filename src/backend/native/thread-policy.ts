/**
 * How many threads the native kernels use for big operations.
 *
 * Default: all of OpenMP's (OMP_NUM_THREADS, default every core), always. oneDNN's convolution
 * results depend on the thread count (the order of its sums), so a fixed count keeps training
 * bit-for-bit reproducible: a run killed and resumed ends with the same weights as an
 * uninterrupted one (test/train/trainer.test.ts).
 *
 * `WSOL_NATIVE_THREADS=auto`: all threads while the machine has idle cores, one while other
 * programs keep the cores busy, because then each parallel region waits for a thread that has no
 * core. Measured on the shared 2-core machine at load 8: the cam step took ~120 ms with 2 threads
 * and ~75 ms with 1; PyTorch's 1-thread step beat its 2-thread step there too. The load of other
 * programs is the 1-minute load average less this process's own recent CPU use. Results then
 * depend on the machine's load.
 *
 * `WSOL_NATIVE_THREADS=n`: exactly n (at most OpenMP's maximum).
 */
import * as os from 'os';

export interface ThreadInputs {
  cores: number;
  maxThreads: number;
  /** 1-minute load average (runnable threads, this process included). */
  loadAverage: number;
  /** This process's CPU time over wall time in the last interval (its busy threads). */
  ownCpuRate: number;
}

/** Threads for big operations: the idle cores (a core counts once at least a quarter of it is idle), within 1..maxThreads. */
export function chooseThreads(i: ThreadInputs): number {
  const others = Math.max(0, i.loadAverage - i.ownCpuRate);
  const idle = i.cores - others;
  return Math.max(1, Math.min(i.maxThreads, Math.ceil(idle - 0.25)));
}

/** A fixed number from WSOL_NATIVE_THREADS ('max' when unset), or 'auto' for the adaptive policy. */
export function threadSettingFromEnv(env: NodeJS.ProcessEnv = process.env): number | 'max' | 'auto' {
  const raw = env.WSOL_NATIVE_THREADS?.trim().toLowerCase();
  if (!raw) return 'max';
  if (raw === 'auto' || raw === 'max') return raw;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`WSOL_NATIVE_THREADS="${env.WSOL_NATIVE_THREADS}" must be a positive integer, "max" or "auto"`);
  return n;
}

const INTERVAL_MS = 2000;

/** Applies the setting; with 'auto', re-evaluates the policy at most every 2 s (call tick() before native kernels). */
export class ThreadGovernor {
  private lastWall = performance.now();
  private lastCpu = process.cpuUsage();
  current: number;

  constructor(
    private readonly maxThreads: number,
    private readonly apply: (n: number) => number,
    private readonly setting: number | 'max' | 'auto' = threadSettingFromEnv(),
  ) {
    this.current = apply(typeof setting === 'number' ? setting : maxThreads);
  }

  get adaptive(): boolean {
    return this.setting === 'auto';
  }

  tick(): void {
    if (this.setting !== 'auto') return;
    const now = performance.now();
    if (now - this.lastWall < INTERVAL_MS) return;
    const cpu = process.cpuUsage();
    const cpuMs = (cpu.user - this.lastCpu.user + cpu.system - this.lastCpu.system) / 1000;
    const ownCpuRate = cpuMs / (now - this.lastWall);
    this.lastWall = now;
    this.lastCpu = cpu;
    const n = chooseThreads({ cores: os.cpus().length, maxThreads: this.maxThreads, loadAverage: os.loadavg()[0], ownCpuRate });
    if (n !== this.current) this.current = this.apply(n);
  }
}
