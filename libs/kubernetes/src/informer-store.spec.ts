import { describe, expect, it } from 'vitest';
import { InformerStore } from './informer-store';
import { silentLogger } from './logger';
import type { KubeObject } from './objects';

const obj = (name: string, rv: string, uid = `uid-${name}`): KubeObject => ({
  metadata: { name, namespace: 'ns', resourceVersion: rv, uid },
});

function recordingStore() {
  const store = new InformerStore<KubeObject>(silentLogger, 'test');
  const seen: string[] = [];
  store.addHandlers(
    {
      onAdd: (o) => seen.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
      onUpdate: (o, old) =>
        seen.push(
          `update ${o.metadata.name}@${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`,
        ),
      onDelete: (o) => seen.push(`delete ${o.metadata.name}@${o.metadata.resourceVersion}`),
    },
    false,
  );
  return { store, seen };
}

describe('InformerStore', () => {
  it('never reports the same resourceVersion twice', () => {
    const { store, seen } = recordingStore();
    store.upsert(obj('a', '1'));
    store.upsert(obj('a', '1'));
    store.upsert(obj('a', '2'));
    store.replace([obj('a', '2')]);
    expect(seen).toEqual(['add a@1', 'update a@1->2']);
  });

  it('diffs a relist against the cache: one add/update/delete per real change', () => {
    const { store, seen } = recordingStore();
    store.replace([obj('keep', '1'), obj('change', '2'), obj('gone', '3')]);
    seen.length = 0;
    store.replace([obj('keep', '1'), obj('change', '5'), obj('new', '6')]);
    expect(seen.sort()).toEqual(['add new@6', 'delete gone@3', 'update change@2->5']);
    expect(
      store
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['change', 'keep', 'new']);
  });

  it('reports a recreated object (new uid) as delete + add', () => {
    const { store, seen } = recordingStore();
    store.upsert(obj('a', '1', 'u1'));
    store.replace([obj('a', '9', 'u2')]);
    expect(seen).toEqual(['add a@1', 'delete a@1', 'add a@9']);
  });

  it('ignores deletes of unknown objects and survives throwing handlers', () => {
    const { store, seen } = recordingStore();
    store.addHandlers(
      {
        onAdd: () => {
          throw new Error('boom');
        },
      },
      false,
    );
    store.remove(obj('x', '1'));
    store.upsert(obj('a', '1'));
    store.remove(obj('a', '2'));
    expect(seen).toEqual(['add a@1', 'delete a@2']);
  });

  it('replays the cache to late subscribers and goes quiet when muted', () => {
    const { store } = recordingStore();
    store.upsert(obj('a', '1'));
    const late: string[] = [];
    store.addHandlers(
      {
        onAdd: (o) => late.push(o.metadata.name!),
        onUpdate: (o) => late.push(`u ${o.metadata.name}`),
      },
      true,
    );
    store.mute();
    store.upsert(obj('a', '2'));
    expect(late).toEqual(['a']);
  });
});
