// Partner credentials, for gateways that refuse anonymous callers (production): an API key kept
// for this browser tab only (sessionStorage), sent as X-API-Key over HTTP and as `apiKey` in the
// subscriptions' connection_init. Asked for when the gateway answers 401, never stored elsewhere.
const STORAGE_KEY = "parcours.apiKey";

/** The API key this tab uses, or null (anonymous: dev gateways). */
export function apiKey() {
  return sessionStorage.getItem(STORAGE_KEY);
}

/** Ask the assistant for a key; true when one was entered (the caller then retries once). */
export function askForKey(message) {
  const entered = window.prompt(
    `${message}\nThis gateway needs a partner API key (X-API-Key). Paste it to continue:`,
  );
  if (!entered || !entered.trim()) return false;
  sessionStorage.setItem(STORAGE_KEY, entered.trim());
  return true;
}

/** The HTTP headers carrying the key, if any. */
export function credentialHeaders() {
  const key = apiKey();
  return key ? { "X-API-Key": key } : {};
}
