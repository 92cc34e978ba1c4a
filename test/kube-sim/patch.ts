import { ApiError, badRequest } from './status';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386 JSON merge patch. Strategic merge patch is served by this too (our types have no merge keys we rely on). */
export function applyMergePatch(target: unknown, patch: unknown): Json {
  if (!isObject(patch)) return patch as Json;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key], value);
  }
  return result;
}

interface Operation { op: string; path: string; from?: string; value?: Json }

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`invalid JSON pointer "${pointer}"`);
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const patchFailed = (message: string) => new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${message}`);

function parentOf(doc: Json, tokens: string[], pointer: string): { parent: Json; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    const next = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (next === undefined) throw patchFailed(`path "${pointer}" does not exist`);
    node = next;
  }
  return { parent: node, key: tokens[tokens.length - 1] };
}

function get(doc: Json, pointer: string): Json {
  let node: Json | undefined = doc;
  for (const token of parsePointer(pointer)) {
    node = Array.isArray(node) ? node[Number(token)] : isObject(node) ? node[token] : undefined;
    if (node === undefined) throw patchFailed(`path "${pointer}" does not exist`);
  }
  return node;
}

function remove(doc: Json, pointer: string): Json {
  const { parent, key } = parentOf(doc, parsePointer(pointer), pointer);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length)) throw patchFailed(`index ${key} out of range in "${pointer}"`);
    return parent.splice(i, 1)[0];
  }
  if (!isObject(parent) || !(key in parent)) throw patchFailed(`path "${pointer}" does not exist`);
  const old = parent[key];
  delete parent[key];
  return old;
}

function add(doc: Json, pointer: string, value: Json, replace: boolean): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, pointer);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length || (replace && i >= parent.length)) {
      throw patchFailed(`index ${key} out of range in "${pointer}"`);
    }
    parent.splice(i, replace ? 1 : 0, value);
  } else if (isObject(parent)) {
    if (replace && !(key in parent)) throw patchFailed(`path "${pointer}" does not exist`);
    parent[key] = value;
  } else throw patchFailed(`path "${pointer}" does not exist`);
  return doc;
}

/** RFC 6902 JSON patch; failures (including a failed "test") answer 422 like the real server. */
export function applyJsonPatch(target: unknown, operations: unknown): Json {
  if (!Array.isArray(operations)) throw badRequest('json patch must be an array of operations');
  let doc = structuredClone(target) as Json;
  for (const raw of operations as Operation[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest('json patch operation needs "op" and "path"');
    }
    const value = structuredClone(raw.value) as Json;
    switch (raw.op) {
      case 'add':
        doc = add(doc, raw.path, value, false);
        break;
      case 'replace':
        doc = add(doc, raw.path, value, true);
        break;
      case 'remove':
        remove(doc, raw.path);
        break;
      case 'move':
      case 'copy': {
        if (typeof raw.from !== 'string') throw badRequest(`json patch "${raw.op}" needs "from"`);
        const moved = raw.op === 'move' ? remove(doc, raw.from) : structuredClone(get(doc, raw.from));
        doc = add(doc, raw.path, moved, false);
        break;
      }
      case 'test':
        if (JSON.stringify(get(doc, raw.path)) !== JSON.stringify(value)) {
          throw patchFailed(`testing value at "${raw.path}" failed`);
        }
        break;
      default:
        throw badRequest(`unknown json patch operation "${raw.op}"`);
    }
  }
  return doc;
}
