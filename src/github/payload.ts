/**
 * A webhook payload without its REST API links. About three quarters of a pull request event's bytes are
 * links (`url`, `html_url`, `*_url`, `_links`): every repository, user and pull request object carries
 * dozens. The app reads none of them (it asks GitHub with its own routes), yet a parsed delivery is held
 * from its parse until its reconcile ends — in a burst, a hundred deliveries waiting for a reconcile slot
 * at once — and what lives that long is copied by every young-generation collection it survives. Copied
 * without the links right after the parse, the full object dies young and the kept one is about a quarter of it
 * (docs/performance.md).
 *
 * Only a link is dropped: a key named `url` or ending in `_url` whose value is a string or null, and
 * `_links`. Anything else, user-named keys included (a custom property called `docs_url` holding an
 * object stays), is kept as it was.
 */
export function withoutLinks(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(withoutLinks);
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in source) {
    const v = source[key];
    if (key === "_links" || (isLinkKey(key) && (v === null || typeof v === "string"))) continue;
    // JSON.parse makes `__proto__` an own key like any other; assigned, it would set the copy's prototype
    // instead, losing the key and lending its contents to the copy as inherited fields the payload never had.
    if (key === "__proto__")
      Object.defineProperty(out, key, { value: withoutLinks(v), enumerable: true, writable: true, configurable: true });
    else out[key] = withoutLinks(v);
  }
  return out;
}

function isLinkKey(key: string): boolean {
  return key === "url" || key.endsWith("_url");
}
