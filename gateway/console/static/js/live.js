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

/**
 * Subscribe to one operation; `onData` gets each result's data, `onError` any error.
 * Returns the function that unsubscribes.
 */
export function subscribe(query, variables, onData, onError) {
  return client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) onError(result.errors[0].message);
        if (result.data) onData(result.data);
      },
      // A refused key is told once, through the status (liveClient), not by each subscription.
      error: (error) => isRefusal(error)
        ? undefined
        : onError(error?.message ?? String(error?.reason ?? "connection lost")),
      complete: () => {},
    },
  );
}
