import type { CertificateRequestCondition } from '@spiffe-csi/kubernetes';
import type { CertificateRequest, CertificateRequestGateway, RequestWatchEvent, TokenVerifier } from '../ports';
import type { Tamper, TestCa } from './test-ca';

type Watcher = { key: string; onEvent: (event: RequestWatchEvent) => void };
export type Answer = 'issue' | 'none' | { deny: string } | { fail: string };

/**
 * An in-memory stand-in for the API server + approver + CA issuer, behind the same gateway the
 * driver uses. Resource versions, watch-from-resourceVersion replay and label selectors behave
 * like the real thing as far as the driver can tell.
 */
export class FakeRequestBackend implements CertificateRequestGateway, TokenVerifier {
  readonly requester = "the Pod's ServiceAccount";
  readonly objects = new Map<string, CertificateRequest>();
  readonly created: { token: string; name: string }[] = [];
  readonly deleted: string[] = [];
  /** What happens to new requests (and how long certificates live). */
  answer: Answer = 'issue';
  certDurationMs = 3600_000;
  tamper: Tamper = 'none';
  rejectCreate?: Error;
  /** Tokens the "API server" answers 401 for (forged ones), and every token it was asked about. */
  readonly forgedTokens = new Set<string>();
  readonly verifiedTokens: string[] = [];
  private watchers = new Set<Watcher>();
  private rv = 0;

  constructor(private readonly ca: TestCa) {}

  async authenticates(token: string): Promise<boolean> {
    this.verifiedTokens.push(token);
    return !this.forgedTokens.has(token);
  }

  async createAs(token: string, request: CertificateRequest): Promise<CertificateRequest> {
    if (this.rejectCreate) throw this.rejectCreate;
    if (this.forgedTokens.has(token)) throw Object.assign(new Error('Unauthorized'), { code: 401 });
    const name = request.metadata.name!;
    const key = `${request.metadata.namespace}/${name}`;
    if (this.objects.has(key)) throw Object.assign(new Error('already exists'), { code: 409 });
    const stored: CertificateRequest = structuredClone(request);
    stored.metadata.uid = `uid-${this.rv + 1}`;
    stored.metadata.creationTimestamp = new Date(Date.now() + this.rv).toISOString();
    this.created.push({ token, name });
    const created = this.put(stored);
    setImmediate(() => void this.react(key));
    return created;
  }

  async get(namespace: string, name: string): Promise<CertificateRequest | undefined> {
    const found = this.objects.get(`${namespace}/${name}`);
    return found && structuredClone(found);
  }

  /** Like the production RequestWatchHub: the current state first (asynchronously), then changes. */
  watch(namespace: string, name: string, onEvent: (event: RequestWatchEvent) => void): () => void {
    const key = `${namespace}/${name}`;
    const watcher = { key, onEvent };
    this.watchers.add(watcher);
    queueMicrotask(() => {
      const current = this.objects.get(key);
      if (current && this.watchers.has(watcher)) onEvent({ type: 'changed', request: structuredClone(current) });
    });
    return () => this.watchers.delete(watcher);
  }

  async list(namespace: string, labelSelector: string): Promise<CertificateRequest[]> {
    const wanted = labelSelector.split(',').map((term) => term.split('='));
    return [...this.objects.values()]
      .filter((o) => o.metadata.namespace === namespace)
      .filter((o) => wanted.every(([k, v]) => o.metadata.labels?.[k] === v))
      .map((o) => structuredClone(o));
  }

  async delete(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    if (!this.objects.delete(key)) return;
    this.deleted.push(name);
    ++this.rv;
    this.emit(key, { type: 'deleted' });
  }

  /** Drops every open watch, like an API server restart. */
  closeWatches(): void {
    const open = [...this.watchers];
    this.watchers = new Set();
    for (const w of open) w.onEvent({ type: 'closed', error: new Error('connection reset') });
  }

  names(): string[] {
    return [...this.objects.values()].map((o) => o.metadata.name!);
  }

  setConditions(key: string, ...conditions: CertificateRequestCondition[]): void {
    const current = this.objects.get(key);
    if (!current) return;
    const next = structuredClone(current);
    const others = (next.status?.conditions ?? []).filter((c) => !conditions.some((n) => n.type === c.type));
    next.status = { ...next.status, conditions: [...others, ...conditions] };
    this.put(next);
  }

  /** Approves and signs the request now (for answer = 'none' tests). */
  async issue(key: string): Promise<void> {
    const current = this.objects.get(key);
    if (!current) return;
    const csrPem = Buffer.from(current.spec.request, 'base64').toString('utf8');
    const chain = await this.ca.sign(csrPem, this.certDurationMs, this.tamper);
    const next = structuredClone(this.objects.get(key) ?? current);
    const others = (next.status?.conditions ?? []).filter((c) => c.type !== 'Ready' && c.type !== 'Approved');
    next.status = {
      certificate: Buffer.from(chain).toString('base64'),
      ca: Buffer.from(this.ca.pem).toString('base64'),
      conditions: [...others, { type: 'Approved', status: 'True', reason: 'Approved' },
        { type: 'Ready', status: 'True', reason: 'Issued', message: 'issued' }],
    };
    this.put(next);
  }

  private async react(key: string): Promise<void> {
    const answer = this.answer;
    if (answer === 'none') return;
    if (answer === 'issue') return this.issue(key);
    if ('deny' in answer) {
      this.setConditions(key, { type: 'Denied', status: 'True', reason: 'Denied', message: answer.deny },
        { type: 'Ready', status: 'False', reason: 'Denied', message: 'denied' });
    } else {
      this.setConditions(key, { type: 'Approved', status: 'True', reason: 'Approved' },
        { type: 'Ready', status: 'False', reason: 'Failed', message: answer.fail });
    }
  }

  private put(object: CertificateRequest): CertificateRequest {
    const key = `${object.metadata.namespace}/${object.metadata.name}`;
    const rv = ++this.rv;
    object.metadata.resourceVersion = String(rv);
    this.objects.set(key, object);
    this.emit(key, { type: 'changed', request: structuredClone(object) });
    return structuredClone(object);
  }

  private emit(key: string, event: RequestWatchEvent): void {
    for (const w of [...this.watchers]) if (w.key === key) w.onEvent(event);
  }
}
