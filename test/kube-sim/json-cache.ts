/**
 * The JSON text of an object the simulator serves, computed once. Stored objects are never
 * modified after commit (every write makes a new one), and each is sent both as the response
 * to the write and to every watcher, so the text is shared.
 */
const texts = new WeakMap<object, string>();

export function jsonOf(value: object): string {
  let text = texts.get(value);
  if (text === undefined) texts.set(value, (text = JSON.stringify(value)));
  return text;
}
