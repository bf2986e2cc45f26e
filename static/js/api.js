// The JSON API over fetch, with the error envelope turned into an ApiError.

export class ApiError extends Error {
  /**
   * status 0 means the request never got an answer (offline, DNS, reset): worth retrying.
   */
  constructor(status, code, message, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }

  /** Whether trying the same request again later can succeed. */
  get transient() {
    return this.status === 0 || this.status === 408 || this.status === 429 || this.status >= 500;
  }
}

export async function request(method, path, { token = null, body, headers = {}, cache = "no-store" } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, cache };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, "network", String(error && error.message ? error.message : error));
  }
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const envelope = data && data.error ? data.error : {};
    const retry = Number(response.headers.get("Retry-After"));
    throw new ApiError(
      response.status,
      envelope.code || "http_error",
      envelope.message || `HTTP ${response.status}`,
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
  }
  return data;
}

export const boardPath = (slug) => `/api/boards/${encodeURIComponent(slug)}`;

/** The board as it is now. "no-cache": the browser revalidates its copy, and the server answers
 * 304 while the board has not changed since (a reload or a second tab on a quiet board). */
export function snapshot(slug, token) {
  return request("GET", boardPath(slug), { token, cache: "no-cache" });
}

/** The key terms of the board, or of one goal (#18). "no-cache": the server answers 304 while
 * the board has not changed since, and the browser hands back its copy. */
export function keyTerms(slug, { goal = null, limit = 20, token = null } = {}) {
  const query = new URLSearchParams({ limit: String(limit) });
  if (goal !== null) query.set("goal", String(goal));
  return request("GET", `${boardPath(slug)}/terms?${query}`, { token, cache: "no-cache" });
}

let catalogue = null;

/**
 * The 17 goals, fetched once per page from the copy served with these modules: sdgs.json under
 * the same versioned prefix, next to js/. Its URL changes with every release, so the browser
 * keeps it like the modules and a repeat visit does not ask the server (issue 14). Hence plain
 * fetch with the HTTP cache, not `request` (which bypasses it for live data).
 */
export function sdgs() {
  if (catalogue === null) {
    const url = new URL("../sdgs.json", import.meta.url);
    catalogue = fetch(url, { headers: { Accept: "application/json" } })
      .catch((error) => {
        throw new ApiError(0, "network", String(error && error.message ? error.message : error));
      })
      .then((response) => {
        if (!response.ok) throw new ApiError(response.status, "http_error", `HTTP ${response.status}`);
        return response.json();
      })
      .catch((error) => {
        catalogue = null;
        throw error;
      });
  }
  return catalogue;
}
