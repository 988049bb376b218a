/**
 * Exercise checks that fail with one short line: what is wrong, never a stack trace (tslab prints a
 * thrown error's stack, which buries the message a student needs).
 */

/** An error that prints as `Error: <message>` only. */
export function shortError(message: string): Error {
  const err = new Error(message);
  err.stack = `Error: ${message}`;
  return err;
}

/**
 * Runs an exercise's check. Any failure, including an error thrown by the student's own code,
 * comes out as one short error naming the exercise; success prints "<exercise>: correct".
 */
export async function exerciseCheck(exercise: string, body: () => void | string | Promise<void | string>): Promise<void> {
  let note: void | string;
  try {
    note = await body();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw shortError(message.includes(exercise) ? message : `${exercise}: your code threw "${message}"`);
  }
  console.log(`${exercise}: correct${note ? ` (${note})` : ''}.`);
}
