import { badRequest } from './status';
import type { KubeObject, ResourceType } from './resources';

type Op = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';
interface Requirement { key: string; op: Op; values: string[] }
export type Matcher = (obj: KubeObject) => boolean;

const KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

/** Split on commas that are not inside "( … )", as labels.Parse does. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseTerm(term: string): Requirement {
  const fail = (why: string) => badRequest(`unable to parse requirement: ${why}: "${term}"`);
  let m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  let req: Requirement;
  if (m) {
    const values = m[3].split(',').map((v) => v.trim());
    req = { key: m[1], op: m[2] as Op, values };
  } else if ((m = /^!\s*(\S+)$/.exec(term))) {
    req = { key: m[1], op: '!', values: [] };
  } else if ((m = /^([^=!<>\s]+)\s*(==|=|!=|>|<)\s*(\S*)$/.exec(term))) {
    const op: Op = m[2] === '!=' ? '!=' : m[2] === '>' ? 'gt' : m[2] === '<' ? 'lt' : '=';
    req = { key: m[1], op, values: [m[3]] };
  } else if (/^\S+$/.test(term)) {
    req = { key: term, op: 'exists', values: [] };
  } else {
    throw fail('invalid syntax');
  }
  if (!KEY.test(req.key)) throw fail('invalid label key');
  if ((req.op === 'gt' || req.op === 'lt') && !/^-?\d+$/.test(req.values[0])) throw fail('for gt/lt, value must be an integer');
  return req;
}

function matches(req: Requirement, value: string | undefined): boolean {
  switch (req.op) {
    case '=':
      return value === req.values[0];
    case '!=':
      return value !== req.values[0];
    case 'in':
      return value !== undefined && req.values.includes(value);
    case 'notin':
      return value === undefined || !req.values.includes(value);
    case 'exists':
      return value !== undefined;
    case '!':
      return value === undefined;
    case 'gt':
    case 'lt':
      if (value === undefined || !/^-?\d+$/.test(value)) return false;
      return req.op === 'gt' ? Number(value) > Number(req.values[0]) : Number(value) < Number(req.values[0]);
  }
}

/** labelSelector query parameter → predicate; throws a 400 ApiError on bad syntax. */
export function parseLabelSelector(selector: string | null | undefined): Matcher | undefined {
  if (!selector) return undefined;
  const reqs = splitTerms(selector).map(parseTerm);
  return (obj) => reqs.every((r) => matches(r, obj.metadata.labels?.[r.key]));
}

/** fieldSelector query parameter → predicate; only the fields the real server indexes for this type. */
export function parseFieldSelector(selector: string | null | undefined, type: ResourceType): Matcher | undefined {
  if (!selector) return undefined;
  const readers: Record<string, (o: KubeObject) => string | undefined> = {
    'metadata.name': (o) => o.metadata.name,
    ...(type.namespaced ? { 'metadata.namespace': (o: KubeObject) => o.metadata.namespace } : {}),
    ...type.extraFields,
  };
  const reqs = splitTerms(selector).map((term) => {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const read = readers[m[1]];
    if (!read) {
      throw badRequest(`field label not supported: ${m[1]}`);
    }
    return { read, negate: m[2] === '!=', value: m[3] };
  });
  return (obj) => reqs.every((r) => (r.read(obj) === r.value) !== r.negate);
}

export function combine(...matchers: Array<Matcher | undefined>): Matcher | undefined {
  const present = matchers.filter((m): m is Matcher => m !== undefined);
  if (present.length === 0) return undefined;
  return (obj) => present.every((m) => m(obj));
}
