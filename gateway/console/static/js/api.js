// The console's only door to the gateway: the public GraphQL API over HTTP POST (application/json).
// It never calls a private endpoint and never builds a query from user input (variables only).

import { askForKey, credentialHeaders } from "./credentials.js";

export class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

// Generous: the gateway bounds channel calls itself (1 s); this only catches a hung connection.
const TIMEOUT_MS = 20000;

/** POST one operation; resolves to {data, errors, sources} or rejects with ApiError. */
export async function gql(query, variables = {}, retried = false) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        ...credentialHeaders(),
      },
      body: JSON.stringify({ query, variables }),
      signal: controller.signal,
    });
  } catch (error) {
    if (error.name === "AbortError") {
      throw new ApiError("The gateway did not answer in time. Try again in a moment.", "TIMEOUT");
    }
    throw new ApiError("The gateway cannot be reached. Check the connection and retry.", "NETWORK");
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 401 && !retried) {
    const refusal = await response.json().catch(() => ({}));
    const message = refusal.errors?.[0]?.message ?? "The gateway refused the request.";
    if (askForKey(message)) return gql(query, variables, true);
    throw new ApiError(message, "UNAUTHENTICATED");
  }
  let body;
  try {
    body = await response.json();
  } catch (error) {
    throw new ApiError(`The gateway answered ${response.status} without JSON.`, "HTTP");
  }
  return {
    data: body.data ?? null,
    errors: body.errors ?? [],
    sources: body.extensions?.sources ?? [],
  };
}

/** The first error with one of `codes`, or undefined. */
export function errorWith(errors, ...codes) {
  return errors.find((e) => codes.includes(e.extensions?.code));
}

/** A fresh idempotency key (crypto.getRandomValues also works outside secure contexts). */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "console-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
