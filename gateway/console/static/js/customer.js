// The 360 view: a customer opened (nothing of the one before stays), their context read in one
// query and drawn panel by panel (a field null with an error says why), then followed live.
import { gql } from "./api.js";
import { addItem, cartButtons, showCart } from "./cart.js";
import { startLive, stopLive } from "./follow.js";
import { showJourney } from "./journey.js";
import * as Q from "./queries.js";
import {
  SYSTEMS, consentsView, empty, fill, h, identitiesView, listOrEmpty, loading, money,
  sourceBadge, unavailable, when, whyNull, words, worstSources,
} from "./render.js";
import { $, cartMessage, notice, state, stillOn, storeVars, timelineChannels } from "./state.js";
import { newTimeline, showTimeline, timelineLive } from "./timeline.js";

export async function openCustomer(id) {
  state.searchSeq += 1; // a search still on its way must not replace the customer chosen now
  stopLive();
  // The same customer opened again (another store): a cart change or a resumption still on its
  // way stays the one at a time until it is answered, or a click now would carry the same
  // expected version (a conflict), or resume the journey twice (two steps).
  const again = state.customerId === id;
  Object.assign(state, {
    customerId: id, cart: null, cartRead: false, journey: null, timelineAfter: null,
    cartChange: again ? state.cartChange : null, resuming: again ? state.resuming : null,
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

export async function loadContext() {
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
    showJourney(customer.activeJourney, loadContext);
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
