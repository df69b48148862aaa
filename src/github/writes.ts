/**
 * Which requests are writes for GitHub's pacing: "If you're making a large number of POST, PATCH, PUT, or
 * DELETE requests for a single user or client ID, wait at least one second between each request", and a
 * GraphQL request with a mutation costs what a REST write does (docs/performance.md, "Own write pacer").
 * Reads (REST GET/HEAD, GraphQL queries) are not paced. Whatever cannot be classified is a write: pacing
 * a read by mistake costs a second, not pacing a write risks GitHub's secondary rate limit.
 */

/** The parts of an Octokit request (its endpoint options, before the URL is expanded) a decision needs. */
export interface RequestShape {
  readonly method: string;
  readonly url: string;
  readonly query?: unknown;
  readonly operationName?: unknown;
  readonly data?: unknown;
}

export function isPacedWrite(req: RequestShape): boolean {
  const method = req.method.toUpperCase();
  if (method === "GET" || method === "HEAD") return false;
  const path = pathOf(req.url);
  if (isTokenRequest(method, path)) return false;
  if (method === "POST" && path.endsWith("/graphql")) return !isGraphqlQuery(req);
  return true;
}

/**
 * A write that decides what branch protection sees: a check run (REST, or a GraphQL mutation that writes
 * one). It goes ahead of courtesy writes (answer comments, review requests) in an installation's lane, so a
 * flood of answers to a stranger's refused commands cannot hold back, or time out, the write that closes a
 * gate (docs/security.md, "Fail closed"). The app's record comments ride in the mutation that writes the
 * reconcile's check runs (src/github/checks.ts writeRuns); a mutation of comments alone (answers when no
 * check changed, all a stranger's refused commands cause) is a courtesy write, as the REST comment it
 * replaced was. A GraphQL document this cannot read is taken for a check write.
 */
export function isCheckWrite(req: RequestShape): boolean {
  const path = pathOf(req.url);
  if (/\/check-runs(\/[^/]+)?$/.test(path)) return true;
  if (!path.endsWith("/graphql")) return false;
  const document = documentOf(req);
  return typeof document !== "string" || !COMMENTS_ONLY(document);
}

/** The app's mutation of comments alone: `addComment` fields and no check-run field. */
const COMMENTS_ONLY = (document: string) =>
  /\baddComment\s*\(/.test(document) && !/\b(?:create|update)CheckRun\s*\(/.test(document);

function documentOf(req: RequestShape): unknown {
  return req.query ?? (req.data as { query?: unknown } | undefined)?.query;
}

/** An installation token or an OAuth token: authentication, which GitHub rates apart from content writes. */
function isTokenRequest(method: string, path: string): boolean {
  if (method === "POST")
    return (
      /^\/app\/installations\/[^/]+\/access_tokens$/.test(path) ||
      /^\/applications\/[^/]+\/token$/.test(path) ||
      path === "/login/oauth/access_token"
    );
  return method === "PATCH" && /^\/applications\/[^/]+\/token\/scoped$/.test(path);
}

/**
 * The path of a route (`/repos/{owner}/…`) or of an absolute URL, as GitHub Enterprise's are
 * (`https://host/api/graphql`, `https://host/api/v3/…`: the REST prefix is dropped).
 */
function pathOf(url: string): string {
  const path = url.startsWith("/")
    ? url
    : URL.canParse(url)
      ? new URL(url).pathname.replace(/^\/api\/v3(?=\/)/, "")
      : url;
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

function isGraphqlQuery(req: RequestShape): boolean {
  const document = documentOf(req);
  const name = req.operationName ?? (req.data as { operationName?: unknown } | undefined)?.operationName;
  if (typeof document !== "string") return false;
  return operationType(document, typeof name === "string" ? name : undefined) === "query";
}

type Operation = "query" | "mutation" | "subscription";

/**
 * The type of the operation a GraphQL document runs: the one named `operationName`, else its only
 * operation; undefined when that cannot be told (no operation, several without a name to choose, a
 * document this scanner cannot read). A scanner, not a parser: top-level definitions are told apart by
 * their first token (`query`, `mutation`, `subscription`, `fragment`, or `{` for a query's shorthand), and
 * a definition's body is skipped by counting braces outside strings and comments.
 */
export function operationType(document: string, operationName?: string): Operation | undefined {
  const ops: { type: Operation; name: string | undefined }[] = [];
  const scan = new Scanner(document);
  for (let token = scan.next(); token !== undefined; token = scan.next()) {
    if (token === "{") {
      ops.push({ type: "query", name: undefined });
    } else if (token === "query" || token === "mutation" || token === "subscription" || token === "fragment") {
      const name = scan.peekName();
      if (token !== "fragment") ops.push({ type: token, name });
      if (!scan.skipToSelection()) return undefined;
    } else return undefined; // a token no executable definition starts with
    if (!scan.skipBlock()) return undefined;
  }
  if (operationName !== undefined) return ops.find((o) => o.name === operationName)?.type;
  return ops.length === 1 ? ops[0]!.type : undefined;
}

/** GraphQL's lexical grammar, as far as skipping needs it: ignored tokens, names, punctuators, strings. */
class Scanner {
  private at = 0;
  constructor(private readonly src: string) {}

  /** The token a top-level definition starts with: a name or a character, consumed; undefined at the end. */
  next(): string | undefined {
    this.skipIgnored();
    if (this.at >= this.src.length) return undefined;
    return this.name() ?? this.src[this.at++];
  }

  /** The operation's name, if one follows (`query Name(...)`), without consuming anything else. */
  peekName(): string | undefined {
    this.skipIgnored();
    return this.name();
  }

  /**
   * Moves past everything up to the `{` that opens a definition's selection set, that brace included:
   * variable definitions and directive arguments are skipped as parenthesised groups, since a default
   * value may be an object (`{`).
   */
  skipToSelection(): boolean {
    let parens = 0;
    for (let c = this.char(); c !== undefined; c = this.char()) {
      if (c === "{" && parens === 0) return true;
      if (c === "(") parens++;
      else if (c === ")" && --parens < 0) return false;
    }
    return false;
  }

  /** Moves past the rest of a `{ … }` block whose `{` was just read; false if it never closes. */
  skipBlock(): boolean {
    let depth = 1;
    for (let c = this.char(); c !== undefined; c = this.char()) {
      if (c === "{") depth++;
      else if (c === "}" && --depth === 0) return true;
    }
    return false;
  }

  /** The next character outside ignored tokens and strings, consumed; undefined at the end or in a string that never ends. */
  private char(): string | undefined {
    for (;;) {
      this.skipIgnored();
      if (this.at >= this.src.length) return undefined;
      const c = this.src[this.at]!;
      if (c !== '"') {
        this.at++;
        return c;
      }
      if (!this.string()) return undefined;
    }
  }

  private name(): string | undefined {
    const m = /[_A-Za-z][_0-9A-Za-z]*/y;
    m.lastIndex = this.at;
    const found = m.exec(this.src);
    if (!found) return undefined;
    this.at = m.lastIndex;
    return found[0];
  }

  /** Whitespace, line terminators, commas, a byte-order mark and `#` comments. */
  private skipIgnored(): void {
    const src = this.src;
    while (this.at < src.length) {
      const c = src[this.at]!;
      if (c === "#") {
        while (this.at < src.length && src[this.at] !== "\n" && src[this.at] !== "\r") this.at++;
      } else if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "," || c === "\uFEFF") this.at++;
      else return;
    }
  }

  /** A `"…"` string (with `\` escapes) or a `"""…"""` block string; false if it never ends. */
  private string(): boolean {
    const src = this.src;
    if (src.startsWith('"""', this.at)) {
      let i = this.at + 3;
      for (;;) {
        const end = src.indexOf('"""', i);
        if (end < 0) return false;
        if (src[end - 1] === "\\") {
          i = end + 3; // \""" is an escaped triple quote inside the block
          continue;
        }
        this.at = end + 3;
        return true;
      }
    }
    for (let i = this.at + 1; i < src.length; i++) {
      const c = src[i];
      if (c === "\\") i++;
      else if (c === '"') {
        this.at = i + 1;
        return true;
      } else if (c === "\n" || c === "\r") return false;
    }
    return false;
  }
}
