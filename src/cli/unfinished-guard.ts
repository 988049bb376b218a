/**
 * Node exits with status 0 once nothing keeps its event loop alive, even while a command still awaits
 * a promise that no handle will ever settle. `failIfUnfinished` turns that into a failure: a message
 * naming the command and exit status 70, so a half-done run is never taken for a finished one.
 */
export const UNFINISHED_EXIT_CODE = 70;

export function failIfUnfinished<T>(work: Promise<T>, what: string): Promise<T> {
  let settled = false;
  const onBeforeExit = () => {
    if (settled) return;
    settled = true;
    process.stderr.write(`${what}: stopped before it finished: it was waiting on work that can no longer complete (set WSOL_DEBUG=1 and report it)\n`);
    process.exitCode = UNFINISHED_EXIT_CODE;
  };
  process.on('beforeExit', onBeforeExit);
  const done = () => {
    settled = true;
    process.off('beforeExit', onBeforeExit);
  };
  return work.then(
    (v) => {
      done();
      return v;
    },
    (err) => {
      done();
      throw err;
    },
  );
}
