// The store console: find a customer, show their context, keep the cart live, change it.
// Everything goes through the public GraphQL API (api.js) and its subscriptions (live.js).
import { ApiError, errorWith, gql, idempotencyKey } from "./api.js";
import { keepSubscribed, liveClient, mayPass, subscribe } from "./live.js";
import * as Q from "./queries.js";
import {
  SYSTEMS, cartView, consentsView, empty, fill, h, handOffView, identitiesView, journeyView,
  listOrEmpty, loading, money, sourceBadge, timelineItems, unavailable, when, whyNull, words,
  worstSources,
} from "./render.js";

const $ = (id) => document.getElementById(id);
const state = {
  customerId: null, journey: null, stopLive: [], timelineAfter: null,
  // The cart shown and whether it was read at all: `cart` is null both for a customer without one
  // (`cartRead`) and for a cart the gateway could not give (not read: no change may be sent).
  cart: null, cartRead: false,
  // The timeline shown (a customer, a filter) is `timelineGen`: an answer for an earlier one draws
  // nothing. Its requests (the newest page read again, an older page) run one after the other
  // (`timelineQueue`), each from the list the one before left, so none is lost or repeated.
  timelineGen: 0, timelineQueue: Promise.resolve(), timelineMore: null,
  searchSeq: 0, // only the latest search may open a customer or list matches
  cartChange: null, resuming: null, // the cart change, the resumption on its way (one at a time)
};

// An answer may come back after the assistant moved on to another customer (a slow search, a
// cart change or a resumption still on its way): it must then draw nothing.
const stillOn = (id) => state.customerId === id;

const myChannel = () => $("my-channel").value;
const myStore = () => $("my-store").value.trim();
const timelineChannels = () => ($("timeline-channel").value ? [$("timeline-channel").value] : null);
const storeVars = () => ({ store: myStore(), hasStore: myStore() !== "" });

function notice(text, kind = "error") {
  const box = $("notice");
  box.textContent = text;
  box.className = `notice ${kind}`;
  box.hidden = !text;
}

function cartMessage(text, kind = "error") {
  const box = $("cart-message");
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = !text;
}

// ---- finding a customer -------------------------------------------------------------------

async function find(event) {
  event.preventDefault();
  const kind = $("search-kind").value;
  const text = $("search-text").value.trim();
  const seq = ++state.searchSeq;
  const superseded = () => seq !== state.searchSeq;
  notice("");
  const results = $("results");
  results.hidden = false;
  results.replaceChildren(loading());
  try {
    if (kind === "NAME") {
      const { data, errors } = await gql(Q.SEARCH, { q: text });
      if (superseded()) return;
      if (errors.length) throw new ApiError(errors[0].message, errors[0].extensions?.code);
      const { edges, pageInfo } = data.searchCustomers;
      if (edges.length === 1 && !pageInfo.hasNextPage) return openCustomer(edges[0].node.id);
      if (!edges.length) return results.replaceChildren(empty(`Nobody is called “${text}”.`));
      showMatches(text, data.searchCustomers, seq, h("ul", { class: "plain" }));
    } else {
      const { data, errors } = await gql(Q.BY_IDENTITY, { kind, value: text });
      if (superseded()) return;
      if (errorWith(errors, "NOT_FOUND")) {
        return results.replaceChildren(empty(`No customer holds this ${words(kind)}.`));
      }
      if (errors.length) throw new ApiError(errors[0].message, errors[0].extensions?.code);
      return openCustomer(data.customerByIdentity.id);
    }
  } catch (error) {
    if (superseded()) return;
    results.hidden = true;
    notice(error.message);
  }
}

function matchItem({ node }) {
  return h("li", {},
    h("button", { class: "link", onclick: () => openCustomer(node.id) }, node.displayName),
    h("span", { class: "muted" }, " " + node.identities
      .filter((i) => ["EMAIL", "LOYALTY_CARD", "PHONE"].includes(i.kind))
      .map((i) => i.value).join(" · ")));
}

/** Matches of a name search, a page at a time: "More matches" follows the cursor. */
function showMatches(text, connection, seq, list) {
  list.append(...connection.edges.map(matchItem));
  const { hasNextPage, endCursor } = connection.pageInfo;
  const more = hasNextPage ? h("button", {
    id: "results-more", class: "secondary",
    onclick: (event) => moreMatches(event.currentTarget, text, endCursor, seq, list),
  }, "More matches") : null;
  $("results").replaceChildren(
    h("h2", {}, `${list.children.length}${hasNextPage ? "+" : ""} customers`),
    list, ...(more ? [more] : []));
}

async function moreMatches(button, text, after, seq, list) {
  button.disabled = true; // one page at a time: a second click would list the same page again
  button.textContent = "Loading…";
  try {
    const { data, errors } = await gql(Q.SEARCH, { q: text, after });
    if (seq !== state.searchSeq) return;
    if (!data?.searchCustomers) throw new ApiError(errors[0]?.message ?? "Search unavailable.");
    showMatches(text, data.searchCustomers, seq, list);
  } catch (error) {
    if (seq !== state.searchSeq) return;
    button.disabled = false;
    button.textContent = "More matches";
    notice(error.message);
  }
}

// ---- the 360 view -------------------------------------------------------------------------

async function openCustomer(id) {
  state.searchSeq += 1; // a search still on its way must not replace the customer chosen now
  stopLive();
  // The same customer opened again (another store): a cart change still on its way stays the one
  // at a time until it is answered, or a click now would carry the same expected version.
  const again = state.customerId === id;
  Object.assign(state, {
    customerId: id, cart: null, cartRead: false, journey: null, timelineAfter: null,
    cartChange: again ? state.cartChange : null, resuming: null,
  });
  if (!state.cartChange) $("panel-cart").removeAttribute("aria-busy");
  cartButtons();
  $("results").hidden = true;
  $("empty-state").hidden = true;
  $("customer").hidden = false;
  $("handoff").hidden = true;
  $("timeline-channel").value = "";
  $("timeline-more").hidden = true;
  timelineLive(null);
  cartMessage("");
  // Nothing of the customer shown before stays on screen: their name above another customer's
  // panels, or their consents, would be taken for this one's if this one's context never came.
  $("customer-name").textContent = id;
  $("customer-meta").textContent = "";
  $("cart-version").textContent = "";
  fill("sources");
  document.querySelectorAll(".panel .degraded").forEach((badge) => badge.remove());
  const panels = [
    "cart", "journey", "identities", "consents", "recommendations", "orders", "tickets",
    "timeline",
  ];
  for (const panel of panels) fill(panel, loading());
  const url = new URL(location.href);
  url.searchParams.set("customer", id);
  history.replaceState(null, "", url);
  await loadContext();
  if (state.customerId === id) startLive(id);
}

async function loadContext() {
  // The timeline's other requests wait until this answer's newest page is drawn.
  const gen = newTimeline();
  let drawn;
  state.timelineQueue = new Promise((resolve) => { drawn = resolve; });
  try {
    await readContext(gen);
  } finally {
    drawn();
  }
}

async function readContext(gen) {
  const id = state.customerId;
  let answer;
  try {
    answer = await gql(Q.CONTEXT, { id, ...storeVars(), channels: timelineChannels() });
  } catch (error) {
    if (!stillOn(id)) return;
    notice(error.message);
    // No panel keeps saying "Loading…" for an answer that is not coming.
    for (const panel of document.querySelectorAll("#customer .panel-body")) {
      if (panel.querySelector(":scope > .loading")) panel.replaceChildren(unavailable());
    }
    return;
  }
  if (!stillOn(id)) return;
  const customer = answer.data?.customer;
  if (!customer) {
    $("customer").hidden = true;
    $("empty-state").hidden = false;
    return notice(answer.errors[0]?.message ?? "This customer cannot be shown.");
  }
  notice("");
  // A field may come back null with an error (a scope the partner key lacks, a failure): its panel
  // says why instead of reading "empty", and the other panels are drawn all the same.
  const why = (field) => whyNull(answer.errors, field);
  $("customer-name").textContent = customer.displayName;
  $("customer-meta").textContent = `${customer.id} · customer since ${when(customer.createdAt)}`;
  showSources(answer.sources);
  if (customer.cart === null && why("cart")) {
    Object.assign(state, { cart: null, cartRead: false });
    $("cart-version").textContent = "";
    fill("cart", unavailable(why("cart")));
  } else {
    showCart(customer.cart, true);
  }
  if (customer.activeJourney === null && why("activeJourney")) {
    state.journey = null;
    fill("journey", unavailable(why("activeJourney")));
  } else {
    showJourney(customer.activeJourney);
  }
  fill("identities", identitiesView(customer));
  fill("consents", consentsView(customer.consents));
  fill("recommendations", customer.recommendations === null
    ? unavailable(why("recommendations"))
    : customer.recommendations.length
    ? h("ul", { class: "plain" }, customer.recommendations.map((r) => h("li", {},
      h("div", {}, h("strong", {}, r.product.name),
        h("span", { class: "muted" }, ` ${r.product.sku}`),
        h("div", { class: "muted reason" }, r.reason)),
      h("button", { class: "small", onclick: () => addItem(r.product.sku, 1) }, "Add"))))
    : empty("No recommendations yet."));
  cartButtons();
  fill("orders", listOrEmpty(customer.orders, "No orders.", why("orders"), (o) => h("li", {},
    h("strong", {}, o.id), ` · ${words(o.status)} · ${money(o.total)} · ${words(o.fulfilment)}`,
    h("span", { class: "muted" }, ` — ${when(o.createdAt)}`))));
  fill("tickets", listOrEmpty(customer.tickets, "No open tickets.", why("tickets"), (t) =>
    h("li", {}, h("strong", {}, t.subject), ` · ${words(t.channel)}`,
      h("span", { class: "muted" }, ` — opened ${when(t.openedAt)}`))));
  if (gen !== state.timelineGen) return;
  if (customer.history === null) {
    fill("timeline", unavailable(why("history")));
    $("timeline-more").hidden = true;
  } else {
    showTimeline(customer.history, false);
  }
}

function showSources(sources) {
  const worst = worstSources(sources);
  fill("sources", worst.map(sourceBadge));
  document.querySelectorAll(".panel .degraded").forEach((badge) => badge.remove());
  for (const source of worst.filter((s) => s.outcome !== "ok")) {
    for (const panel of SYSTEMS[source.channel]?.panels ?? []) {
      const badge = sourceBadge(source);
      badge.classList.add("degraded");
      $(panel).querySelector("h3").append(" ", badge);
    }
  }
}

// ---- the shared cart ----------------------------------------------------------------------

function showCart(cart, force = false) {
  const known = state.cart;
  const newer = !known || !cart || cart.id !== known.id || cart.version > known.version;
  if (!force && !newer) return;
  Object.assign(state, { cart, cartRead: true });
  $("cart-version").textContent = cart ? `v${cart.version}` : "";
  fill("cart", cartView(cart, { setQuantity }));
  cartButtons();
}

/** The buttons that change the cart (its own, the recommendations' "Add") are disabled while a
 * change is on its way: a click then would change nothing, so it must not look as if it could. */
function cartButtons() {
  const busy = state.cartChange !== null;
  for (const button of document.querySelectorAll("#panel-cart button, #recommendations button")) {
    button.disabled = busy;
  }
}

// One cart change at a time: a second click while the first is on its way would carry the same
// expected version, and come back a VERSION_CONFLICT blamed on "another channel".
async function changeCart(query, variables, done) {
  if (state.cartChange) return;
  const token = {};
  state.cartChange = token;
  $("panel-cart").setAttribute("aria-busy", "true");
  cartButtons();
  try {
    await sendCartChange(query, variables, done);
  } finally {
    if (state.cartChange === token) {
      state.cartChange = null;
      $("panel-cart").removeAttribute("aria-busy");
      cartButtons();
    }
  }
}

async function sendCartChange(query, variables, done) {
  const id = state.customerId;
  if (!state.cartRead) {
    // Sent without the version of a cart read first, a change would land on a cart the assistant
    // cannot see, over whatever another channel did meanwhile: the cart is read first.
    cartMessage("Reading the cart before changing it…", "info");
    const failure = await refreshCart();
    if (!stillOn(id)) return;
    if (failure) {
      return cartMessage("The cart cannot be read right now, so your change was not sent: it "
        + "could undo a change made on another channel. Try again in a moment. "
        + `(${failure})`);
    }
  }
  cartMessage("Saving…", "info");
  const store = myStore();
  let answer;
  try {
    answer = await gql(query, {
      id, channel: myChannel(), key: idempotencyKey(),
      // A customer without a cart is version 0: a cart another channel starts meanwhile is a
      // conflict, not a cart changed unseen.
      expected: state.cart ? state.cart.version : 0, ...storeVars(), ...variables,
    });
  } catch (error) {
    if (stillOn(id)) await answerLost(id, error);
    return;
  }
  if (!stillOn(id)) return;
  const conflict = errorWith(answer.errors, "VERSION_CONFLICT");
  if (conflict) {
    const now = conflict.extensions.currentVersion;
    const conflicted = `The cart was changed on another channel meanwhile (now version ${now}); `
      + "your change was not applied.";
    cartMessage(`${conflicted} Reading the latest cart…`, "conflict");
    const failure = await refreshCart();
    if (!stillOn(id)) return;
    // Only a cart actually re-read is "the latest": otherwise the one below is the old one.
    return cartMessage(failure
      ? `${conflicted} The latest cart could not be re-read, so the cart below is out of date: `
        + `open the customer again before changing it. (${failure})`
      : `${conflicted} The cart below is the latest: check it and try again.`, "conflict");
  }
  if (answer.errors.length && !answer.data?.[done]) return cartMessage(answer.errors[0].message);
  cartMessage("");
  if (myStore() === store) return showCart(answer.data[done]);
  // Another store was chosen meanwhile: the answer's cart tells the stock of the one before.
  const failure = await refreshCart();
  if (stillOn(id) && failure) {
    cartMessage(`Your change was saved, but the cart could not be read again for this store. `
      + `(${failure})`);
  }
}

/** A change whose answer never came (the connection dropped, or the gateway was too slow) may
 * have been saved all the same: the cart is read again, so the one shown is the gateway's. */
async function answerLost(id, error) {
  const lost = `${error.message} Your change may have been saved all the same: `;
  cartMessage(`${lost}reading the cart again…`);
  const failure = await refreshCart();
  if (!stillOn(id)) return;
  cartMessage(failure
    ? `${lost}the cart could not be re-read either, so the cart below may be out of date. `
      + `(${failure})`
    : `${lost}the cart below is the latest, check it before trying again.`);
}

/** Re-read the cart and show it; resolves to why it could not be re-read, or null. */
async function refreshCart() {
  const id = state.customerId;
  let answer;
  try {
    answer = await gql(Q.CART_NOW, { id, ...storeVars() });
  } catch (error) {
    return error.message;
  }
  const customer = answer.data?.customer;
  // A null cart with an error is a failure to read it, not an empty cart.
  if (!customer || (customer.cart === null && answer.errors.length)) {
    return answer.errors[0]?.message ?? "no answer";
  }
  if (stillOn(id)) showCart(customer.cart, true);
  return null;
}

function addItem(sku, qty) {
  return changeCart(Q.ADD_ITEM, { sku, qty }, "addCartItem");
}

function setQuantity(line, qty) {
  if (qty <= 0) return changeCart(Q.REMOVE_ITEM, { sku: line.product.sku }, "removeCartItem");
  return changeCart(Q.SET_QUANTITY, { sku: line.product.sku, qty }, "setCartItemQuantity");
}

// ---- journey and timeline -----------------------------------------------------------------

function showJourney(journey) {
  state.journey = journey;
  fill("journey", journeyView(journey, resume));
  resumeButton();
}

/** "Resume here" is disabled while a resumption is on its way (a click then does nothing). */
function resumeButton() {
  const button = $("resume");
  if (button) button.disabled = state.resuming !== null;
}

// Once per click, however fast the clicks: each resumption is a step of the journey.
async function resume() {
  if (state.resuming) return;
  const token = {};
  state.resuming = token;
  resumeButton();
  try {
    await resumeHere();
  } finally {
    if (state.resuming === token) {
      state.resuming = null;
      resumeButton();
    }
  }
}

async function resumeHere() {
  const id = state.customerId;
  const journey = state.journey;
  const box = $("handoff");
  box.hidden = false;
  box.replaceChildren(loading());
  try {
    const { data, errors } = await gql(Q.RESUME, {
      journey: journey.id, channel: myChannel(), key: idempotencyKey(),
    });
    if (!stillOn(id)) return;
    if (!data?.resumeJourney) throw new ApiError(errors[0]?.message ?? "Could not resume.");
    box.replaceChildren(...handOffView(data.resumeJourney).filter(Boolean));
    await loadContext();
    if (stillOn(id)) box.hidden = false;
  } catch (error) {
    if (stillOn(id)) box.replaceChildren(h("p", { class: "message error" }, error.message));
  }
}

function showTimeline(history, append) {
  const list = append ? $("timeline").querySelector("ol") : h("ol", { class: "timeline" });
  if (!append) fill("timeline", history.edges.length ? list : empty("Nothing on this channel."));
  list.append(...timelineItems(history.edges));
  $("timeline").querySelector(":scope > .message.error")?.remove();
  state.timelineAfter = history.pageInfo.hasNextPage ? history.pageInfo.endCursor : null;
  $("timeline-more").hidden = !state.timelineAfter;
}

/** Why the timeline could not be read: under the items shown, which stay (an older page that
 * did not come is asked for again with "Load more"), or in their place when none are. */
function timelineError(error) {
  const message = h("p", { class: "message error" }, error.message);
  $("timeline").querySelector(":scope > .message.error")?.remove();
  if ($("timeline").querySelector("ol.timeline")) $("timeline").append(message);
  else fill("timeline", message);
}

/** Another timeline from now on (a customer opened, a filter chosen): what was asked for the
 * one before draws nothing and waits for nothing. */
function newTimeline() {
  state.timelineGen += 1;
  state.timelineQueue = Promise.resolve();
  state.timelineMore = null;
  $("timeline-more").disabled = false;
  return state.timelineGen;
}

/** Run `task(gen)` once the timeline's requests asked for before it are drawn. */
function timelineTask(task) {
  const gen = state.timelineGen;
  const run = state.timelineQueue.then(() => (gen === state.timelineGen ? task(gen) : undefined));
  state.timelineQueue = run.catch(() => {});
  return run;
}

async function readTimeline(after) {
  const { data, errors } = await gql(Q.TIMELINE, {
    id: state.customerId, channels: timelineChannels(), after,
  });
  const history = data?.customer?.history;
  if (!history) throw new ApiError(errors[0]?.message ?? "Timeline unavailable.");
  return history;
}

/** The newest page, read again: what it holds before the item shown first is put in front, so
 * the older pages the assistant added with "Load more" stay (the whole list is replaced only
 * when the page does not reach that item, or nothing is shown yet). */
async function newestPage(gen) {
  try {
    const history = await readTimeline(null);
    if (gen !== state.timelineGen) return;
    const first = $("timeline").querySelector("ol.timeline > li");
    const known = first
      ? history.edges.findIndex((edge) => edge.cursor === first.dataset.cursor) : -1;
    if (known < 0) return showTimeline(history, false);
    first.before(...timelineItems(history.edges.slice(0, known)));
    $("timeline").querySelector(":scope > .message.error")?.remove();
  } catch (error) {
    if (gen === state.timelineGen) timelineError(error);
  }
}

async function olderPage(gen) {
  if (!state.timelineAfter) return; // the list was read again meanwhile and has no more
  try {
    const history = await readTimeline(state.timelineAfter);
    if (gen === state.timelineGen) showTimeline(history, true);
  } catch (error) {
    if (gen === state.timelineGen) timelineError(error);
  }
}

function loadTimeline() {
  newTimeline();
  fill("timeline", loading());
  $("timeline-more").hidden = true; // nothing to page on from until the newest page is back
  return timelineTask(newestPage);
}

/** "Load more": one page per click, after whatever the timeline is reading (a live refresh). */
async function moreTimeline() {
  if (state.timelineMore) return;
  const token = {};
  state.timelineMore = token;
  $("timeline-more").disabled = true;
  try {
    await timelineTask(olderPage);
  } finally {
    if (state.timelineMore === token) {
      state.timelineMore = null;
      $("timeline-more").disabled = false;
    }
  }
}

/** Something happened elsewhere (or may have: RESYNC): the newest page is read again. */
function refreshTimeline() {
  return timelineTask(newestPage);
}

// ---- live updates -------------------------------------------------------------------------

function setLiveStatus(status, event) {
  const badge = $("live-status");
  badge.textContent = status;
  badge.className = `badge live-${status}`;
  // (Re)connected: what the customer did while the socket was down, or before the subscriptions
  // opened, was told to nobody, so the newest page of the timeline is read again (the cart's
  // subscription sends the current cart itself when it opens).
  if (status === "live" && state.customerId) refreshTimeline();
  if (status === "refused") {
    notice(`The gateway refused this API key for live updates (${event.code} `
      + `${event.reason || "Forbidden"}): the cart and the timeline no longer follow other `
      + "channels. Reload the page and enter a valid key.");
  }
}

function startLive(id) {
  liveClient(setLiveStatus);
  state.stopLive.push(
    subscribe(Q.CART_CHANGED, { id, ...storeVars() },
      (data) => showCart(data.cartChanged), ({ message }) => cartMessage(`Live cart: ${message}`)),
    // Something happened elsewhere: show the newest items of the timeline. Started again when it
    // ends on what may pass, and then read again (what happened meanwhile was told to nobody).
    keepSubscribed(Q.ACTIVITY, { id }, {
      onData: () => {
        timelineLive(null);
        refreshTimeline();
      },
      onError: (problem) => timelineLive(problem),
      onRetry: () => {
        timelineLive(null);
        refreshTimeline();
      },
    }),
  );
}

/** Why the timeline stopped following other channels (under it), or nothing (`null`). */
function timelineLive(problem) {
  const box = $("timeline-live");
  box.hidden = !problem;
  box.dataset.code = problem?.code ?? "";
  if (!problem) return box.replaceChildren();
  box.textContent = `The timeline stopped following other channels: ${problem.message} `
    + (mayPass(problem)
      ? "Trying again in a moment."
      : "Open the customer again to see what happened since.");
}

function stopLive() {
  for (const stop of state.stopLive) stop();
  state.stopLive = [];
}

// ---- wiring -------------------------------------------------------------------------------

function start() {
  const params = new URLSearchParams(location.search);
  $("my-store").value = params.get("store") ?? localStorage.getItem("parcours.store") ?? "";
  // A channel this console serves (any case); another one (WEB...) keeps the default, since a
  // select given a value it lacks shows nothing and would send an empty channel.
  const asked = (params.get("channel") ?? "").toUpperCase();
  if ([...$("my-channel").options].some((option) => option.value === asked)) {
    $("my-channel").value = asked;
  }
  $("my-store").addEventListener("change", () => {
    localStorage.setItem("parcours.store", myStore());
    if (state.customerId) openCustomer(state.customerId);
  });
  $("search").addEventListener("submit", find);
  $("add-item").addEventListener("submit", (event) => {
    event.preventDefault();
    addItem($("add-sku").value.trim(), Number($("add-qty").value || 1));
  });
  $("timeline-channel").addEventListener("change", () => loadTimeline());
  $("timeline-more").addEventListener("click", () => moreTimeline());
  if (params.get("customer")) openCustomer(params.get("customer"));
}

start();
