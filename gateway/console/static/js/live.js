// Live updates over the public subscriptions (graphql-transport-ws on /graphql), through the
// vendored graphql-ws client: it handles connection_init, pings, reconnects with backoff and
// re-subscribes, so the console keeps no protocol code of its own.
import { createClient } from "../vendor/graphql-ws/client.js";
import { apiKey } from "./credentials.js";

let client = null;

/** The one WebSocket client of the page; `onStatus` hears "connecting", "live" or "offline". */
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
    shouldRetry: () => true,
    on: {
      connecting: () => onStatus("connecting"),
      connected: () => onStatus("live"),
      closed: () => onStatus("offline"),
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
      error: (error) => onError(error?.message ?? String(error?.reason ?? "connection lost")),
      complete: () => {},
    },
  );
}
