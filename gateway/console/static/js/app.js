// The store console: find a customer, show their context, keep the cart live, change it.
// Everything goes through the public GraphQL API (api.js) and its subscriptions (live.js); this
// module only wires the page: search.js finds, customer.js shows the 360 view, cart.js changes
// the cart, journey.js resumes, timeline.js pages, follow.js keeps it all live.
import { addItem } from "./cart.js";
import { openCustomer } from "./customer.js";
import { find } from "./search.js";
import { $, myStore, state } from "./state.js";
import { loadTimeline, moreTimeline } from "./timeline.js";

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
  $("search").addEventListener("submit", (event) => find(event, openCustomer));
  $("add-item").addEventListener("submit", (event) => {
    event.preventDefault();
    addItem($("add-sku").value.trim(), Number($("add-qty").value || 1));
  });
  $("timeline-channel").addEventListener("change", () => loadTimeline());
  $("timeline-more").addEventListener("click", () => moreTimeline());
  if (params.get("customer")) openCustomer(params.get("customer"));
}

start();
