// @peculiar/x509 (used here only to *generate* the fake PKI) resolves its services through
// tsyringe, which refuses to load without a Reflect-metadata API. No polyfill package is
// installed, so this provides the three functions tsyringe calls, only when absent.
// Import it before @peculiar/x509.
type MetadataTarget = object;
type MetadataKey = unknown;
type PropertyKeyOrUndefined = string | symbol | undefined;

interface ReflectMetadataApi {
  defineMetadata(key: MetadataKey, value: unknown, target: MetadataTarget, property?: PropertyKeyOrUndefined): void;
  getOwnMetadata(key: MetadataKey, target: MetadataTarget, property?: PropertyKeyOrUndefined): unknown;
  getMetadata(key: MetadataKey, target: MetadataTarget, property?: PropertyKeyOrUndefined): unknown;
}

const reflect = Reflect as typeof Reflect & Partial<ReflectMetadataApi>;

if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<MetadataTarget, Map<PropertyKeyOrUndefined, Map<MetadataKey, unknown>>>();
  const ownMap = (target: MetadataTarget, property: PropertyKeyOrUndefined, create: boolean): Map<MetadataKey, unknown> | undefined => {
    let byProperty = store.get(target);
    if (byProperty === undefined && create) store.set(target, (byProperty = new Map()));
    let byKey = byProperty?.get(property);
    if (byKey === undefined && create && byProperty !== undefined) byProperty.set(property, (byKey = new Map()));
    return byKey;
  };
  const api: ReflectMetadataApi = {
    defineMetadata: (key, value, target, property) => void ownMap(target, property, true)?.set(key, value),
    getOwnMetadata: (key, target, property) => ownMap(target, property, false)?.get(key),
    getMetadata(key, target, property) {
      // Walks the prototype chain like reflect-metadata does.
      for (let current: MetadataTarget | null = target; current !== null; current = Object.getPrototypeOf(current) as MetadataTarget | null) {
        const own = ownMap(current, property, false);
        if (own?.has(key)) return own.get(key);
      }
      return undefined;
    },
  };
  Object.assign(Reflect, api);
}
