/**
 * The distribution spec's authentication: a 401 answer names how to authenticate in
 * WWW-Authenticate — `Basic realm="..."` (send the credentials), or
 * `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:x:pull"`
 * (get a token from the realm, with the credentials or anonymously, and send it as
 * `Authorization: Bearer <token>`). This parses the header; registry-client.ts runs the flow.
 */
export interface Challenge {
  /** Lower case: 'basic' or 'bearer' (others are reported as unsupported). */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/** The first challenge of a WWW-Authenticate header, or undefined when there is none. */
export function parseChallenge(header: string | string[] | undefined): Challenge | undefined {
  const text = Array.isArray(header) ? header[0] : header;
  if (!text) return undefined;
  const scheme = /^\s*([A-Za-z][A-Za-z0-9._~+/-]*)/.exec(text);
  if (!scheme) return undefined;
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const pattern = /([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  const rest = text.slice(scheme[0].length);
  for (let m = pattern.exec(rest); m; m = pattern.exec(rest)) {
    const key = m[1]!.toLowerCase();
    // The first value wins: a later challenge's parameter of the same name does not replace it.
    if (!(key in params)) params[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
  }
  return { scheme: scheme[1]!.toLowerCase(), params };
}

/** The token in a token endpoint's JSON answer (`token`, or OAuth2's `access_token`) and its lifetime. */
export function tokenFromAnswer(body: Buffer): { token: string; expiresInSeconds?: number } | undefined {
  let doc: { token?: unknown; access_token?: unknown; expires_in?: unknown };
  try {
    doc = JSON.parse(body.toString('utf8')) as typeof doc;
  } catch {
    return undefined;
  }
  const token = typeof doc?.token === 'string' && doc.token !== '' ? doc.token : typeof doc?.access_token === 'string' ? doc.access_token : undefined;
  if (!token || /[\r\n]/.test(token)) return undefined;
  const expires = typeof doc.expires_in === 'number' && doc.expires_in > 0 ? doc.expires_in : undefined;
  return { token, ...(expires !== undefined ? { expiresInSeconds: expires } : {}) };
}
