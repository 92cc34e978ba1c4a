import { annotationKeyProblem } from './name-checks';

/** Annotations the driver itself sets (e.g. `spiffe.csi.cert-manager.io/identity`); users may not. */
export const RESERVED_ANNOTATION_PREFIX = 'spiffe.csi.cert-manager.io';
// Kubernetes caps the total size of all annotations on an object at 256 KiB.
const MAX_ANNOTATIONS_BYTES = 256 * 1024;

/**
 * Parses and checks `k=v,k2=v2` extra CertificateRequest annotations. Keys must be valid
 * annotation keys outside the reserved prefix — the Go driver silently dropped reserved keys; we
 * refuse them so the operator notices. Throws Error with a reason.
 */
export function parseAnnotations(text: string): Record<string, string> {
  const annotations = parseStringMap(text);
  const problem = annotationsProblem(annotations);
  if (problem) throw new Error(problem);
  return annotations;
}

/** pflag's stringToString syntax: `k=v,k2=v2`, CSV quoting so a value may hold a comma (`"k=a,b"`). */
export function parseStringMap(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  if (text.trim() === '') return result;
  for (const field of splitCsvFields(text)) {
    const eq = field.indexOf('=');
    if (eq < 0) throw new Error(`"${field}" must be key=value`);
    const key = field.slice(0, eq);
    if (Object.hasOwn(result, key)) throw new Error(`key "${key}" is given more than once`);
    result[key] = field.slice(eq + 1);
  }
  return result;
}

export function annotationsProblem(annotations: Record<string, string>): string | null {
  let totalBytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    const keyProblem = annotationKeyProblem(key);
    if (keyProblem) return keyProblem;
    if (key.startsWith(RESERVED_ANNOTATION_PREFIX)) {
      return `annotation key "${key}" is reserved: keys starting with "${RESERVED_ANNOTATION_PREFIX}" are set by the driver`;
    }
    if (typeof value !== 'string') return `annotation "${key}" must have a string value`;
    totalBytes += Buffer.byteLength(key) + Buffer.byteLength(value);
  }
  return totalBytes > MAX_ANNOTATIONS_BYTES ? 'annotations must total at most 256 KiB' : null;
}

/** Minimal RFC 4180 field splitting: commas separate, double quotes group, `""` is a literal quote. */
function splitCsvFields(text: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        current += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"' && current === '') {
      quoted = true;
    } else if (ch === ',') {
      fields.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (quoted) throw new Error('unterminated quote');
  fields.push(current);
  return fields;
}
