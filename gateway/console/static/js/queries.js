// The GraphQL documents of the console, all against the public schema (schema.graphql).

const CART = `
fragment ConsoleCart on Cart {
  id version status updatedAt itemCount
  total { amount currency }
  lines {
    quantity addedVia
    product { sku name brand }
    unitPrice { amount currency }
    promotion { label percentOff }
    availability { online inStore(storeId: $store) @include(if: $hasStore) }
  }
}`;

const HISTORY = `
fragment ConsoleHistory on InteractionConnection {
  edges { cursor node { id at type channel product { sku name } store { id name } } }
  pageInfo { hasNextPage endCursor }
}`;

export const SEARCH = `
query ConsoleSearch($q: String!, $after: String) {
  searchCustomers(query: $q, first: 20, after: $after) {
    edges { node { id displayName identities { kind value } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

export const BY_IDENTITY = `
query ConsoleByIdentity($kind: IdentityKind!, $value: String!) {
  customerByIdentity(kind: $kind, value: $value) { id }
}`;

export const CONTEXT = `
query ConsoleContext($id: ID!, $store: ID = "", $hasStore: Boolean!, $channels: [Channel!]) {
  customer(id: $id) {
    id displayName createdAt
    identities { kind value source since }
    consents { purpose granted at source }
    devices { id kind os registration { platform pushEnabled } }
    cart { ...ConsoleCart }
    activeJourney {
      id intent status startedAt lastChannel nextStep
      steps { n at channel type product { name } store { name } }
    }
    history(first: 15, channels: $channels) { ...ConsoleHistory }
    orders(first: 5) { edges { node { id createdAt status fulfilment total { amount currency } } } }
    tickets(first: 5, status: OPEN) { edges { node { id subject status channel openedAt } } }
    recommendations(first: 5) { product { sku name category } reason }
  }
}
${CART}
${HISTORY}`;

export const TIMELINE = `
query ConsoleTimeline($id: ID!, $channels: [Channel!], $after: String) {
  customer(id: $id) { history(first: 15, channels: $channels, after: $after) { ...ConsoleHistory } }
}
${HISTORY}`;

export const CART_CHANGED = `
subscription ConsoleCartChanged($id: ID!, $store: ID = "", $hasStore: Boolean!) {
  cartChanged(customerId: $id) { ...ConsoleCart }
}
${CART}`;

export const ACTIVITY = `
subscription ConsoleActivity($id: ID!) {
  customerActivity(customerId: $id) { kind at channel }
}`;

const CART_ARGS = "$id: ID!, $sku: ID!, $channel: Channel!, $key: String!, $expected: Int";

export const ADD_ITEM = `
mutation ConsoleAddItem(${CART_ARGS}, $qty: Int!, $store: ID = "", $hasStore: Boolean!) {
  addCartItem(customerId: $id, sku: $sku, quantity: $qty, channel: $channel,
              idempotencyKey: $key, expectedVersion: $expected) { ...ConsoleCart }
}
${CART}`;

export const SET_QUANTITY = `
mutation ConsoleSetQuantity(${CART_ARGS}, $qty: Int!, $store: ID = "", $hasStore: Boolean!) {
  setCartItemQuantity(customerId: $id, sku: $sku, quantity: $qty, channel: $channel,
                      idempotencyKey: $key, expectedVersion: $expected) { ...ConsoleCart }
}
${CART}`;

export const REMOVE_ITEM = `
mutation ConsoleRemoveItem(${CART_ARGS}, $store: ID = "", $hasStore: Boolean!) {
  removeCartItem(customerId: $id, sku: $sku, channel: $channel,
                 idempotencyKey: $key, expectedVersion: $expected) { ...ConsoleCart }
}
${CART}`;

export const RESUME = `
mutation ConsoleResume($journey: ID!, $channel: Channel!, $key: String!) {
  resumeJourney(journeyId: $journey, channel: $channel, idempotencyKey: $key) {
    journey { id status lastChannel }
    nextStep
    productsViewed { sku name }
    productsTriedInStore { sku name }
    stepsSoFar { n channel type at }
    assistantNotes { author at text }
  }
}`;

export const CART_NOW = `
query ConsoleCartNow($id: ID!, $store: ID = "", $hasStore: Boolean!) {
  customer(id: $id) { cart { ...ConsoleCart } }
}
${CART}`;

const FORCED = `
fragment ConsoleForced on ForcedContactConnection {
  totalCount
  byChannel { channel count }
  edges { node { customerId delaySeconds reason explanation contact { id channel } } }
  pageInfo { hasNextPage endCursor }
}`;

export const ANALYTICS = `
query ConsoleAnalytics($from: DateTime, $to: DateTime) {
  analytics(from: $from, to: $to) {
    from to
    revenue { amount currency }
    transactions
    activeCarts { count value { amount currency } }
    conversion { started converted rate }
    conversionByPath { path label started converted rate }
    channelSwitches { journeys mean distribution { switches journeys } }
    timeToConvert { converted medianSeconds p90Seconds }
    forcedContacts(first: 20) { ...ConsoleForced }
    incidents {
      system team breakerState recentFailures customersAffected cartValue { amount currency }
    }
  }
}
${FORCED}`;

export const FORCED_CONTACTS = `
query ConsoleForcedContacts($from: DateTime!, $to: DateTime!, $after: String) {
  analytics(from: $from, to: $to) { forcedContacts(first: 20, after: $after) { ...ConsoleForced } }
}
${FORCED}`;
