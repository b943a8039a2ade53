// Live updates over the public subscriptions (graphql-transport-ws on /graphql), through the
// vendored graphql-ws client: it handles connection_init, pings, reconnects with backoff and
// re-subscribes, so the console keeps no protocol code of its own.
import { createClient } from "../vendor/graphql-ws/client.js";
import { apiKey } from "./credentials.js";

let client = null;

// Close codes that refuse the credentials (gateway/ws_transport.py: 4403 Forbidden for a revoked
// key or a refused token, at connection_init or when checked again; 4401 Unauthorized). Retrying
// with the same key is refused again: the client stops and the page says why.
const REFUSED = new Set([4401, 4403]);

/** Whether a close event (or an error) is the gateway refusing the key. */
export const isRefusal = (event) => REFUSED.has(event?.code);

/**
 * The one WebSocket client of the page; `onStatus` hears "connecting", "live", "offline" or
 * "refused" (the gateway refused the key: no more retries, with the close event).
 */
export function liveClient(onStatus) {
  if (client) return client;
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  client = createClient({
    url: `${scheme}//${location.host}/graphql`,
    lazy: true,
    // Read at each (re)connection, so a key entered after a 401 is used from then on.
    connectionParams: () => (apiKey() ? { apiKey: apiKey() } : {}),
    keepAlive: 15000,
    retryAttempts: Infinity,
    // Transient closes (a restart, the network, 1013 Try Again Later) are retried with backoff.
    shouldRetry: (event) => !isRefusal(event),
    on: {
      connecting: () => onStatus("connecting"),
      connected: () => onStatus("live"),
      closed: (event) => (isRefusal(event) ? onStatus("refused", event) : onStatus("offline")),
    },
  });
  return client;
}

// Codes that the same subscription would get again: it is not started again by itself (a scope or
// a consent lost, a customer erased or merged away, a subscription the gateway cannot run).
const FINAL = new Set([
  "FORBIDDEN", "NOT_FOUND", "CUSTOMER_MERGED", "UNAUTHENTICATED", "BAD_USER_INPUT",
  "GRAPHQL_VALIDATION_FAILED",
]);

/**
 * What went wrong, as {message, code, retryAfter}, from any of what a subscription's sink may be
 * given: the errors of a `next`, the list of errors of an `error` message (graphql-transport-ws),
 * a close event or an Error.
 */
export function problem(error) {
  const first = Array.isArray(error) ? error[0] : error;
  if (first?.message) {
    const { code, retryAfter } = first.extensions ?? {};
    return { message: first.message, code, retryAfter };
  }
  if (first?.code !== undefined) {
    return { message: `The live connection closed (${first.code} ${first.reason || "no reason"}).`,
      code: "CLOSED" };
  }
  return { message: "The live connection was lost.", code: "CLOSED" };
}

/** Whether a problem may pass: the subscription is then started again. */
export const mayPass = ({ code }) => !FINAL.has(code);

/**
 * Subscribe to one operation; `onData` gets each result's data, `onError` each problem (see
 * `problem`), then `onEnd(problem)` once the gateway ended it (with the problem it ended on, or
 * null). A refused key is told once, through the status (liveClient), not by each subscription.
 * Returns the function that unsubscribes.
 */
export function subscribe(query, variables, onData, onError, onEnd = () => {}) {
  let last = null;
  let stopped = false;
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) {
          last = problem(result.errors);
          onError(last);
        }
        if (result.data) onData(result.data);
      },
      error: (error) => {
        if (stopped || isRefusal(error)) return;
        last = problem(error);
        onError(last);
        onEnd(last);
      },
      complete: () => {
        if (!stopped) onEnd(last);
      },
    },
  );
  return () => {
    stopped = true;
    stop();
  };
}

/**
 * `subscribe`, started again (after 1, 2, 4... up to 30 s, or the `retryAfter` the gateway
 * asked for) each time the gateway ends it on a problem that may pass, or on none; `onRetry`
 * hears each new start (what happened meanwhile was told to nobody). Returns the function that
 * unsubscribes for good.
 */
export function keepSubscribed(query, variables, { onData, onError, onRetry }) {
  let stop = () => {};
  let timer = null;
  let failures = 0;
  const start = () => {
    stop = subscribe(query, variables, (data) => {
      failures = 0;
      onData(data);
    }, onError, (ended) => {
      if (ended && !mayPass(ended)) return;
      const wait = ended?.retryAfter ?? Math.min(30, 2 ** failures);
      failures += 1;
      timer = setTimeout(() => {
        timer = null;
        start();
        onRetry();
      }, wait * 1000);
    });
  };
  start();
  return () => {
    clearTimeout(timer);
    stop();
  };
}
