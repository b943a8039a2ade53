// Live updates of the customer shown: the cart's and the activity's subscriptions, and the live
// client's status (a (re)connection reads the timeline again; a refused key is said once).
import { showCart } from "./cart.js";
import { keepSubscribed, liveClient, subscribe } from "./live.js";
import * as Q from "./queries.js";
import { $, cartMessage, notice, state, storeVars } from "./state.js";
import { refreshTimeline, timelineLive } from "./timeline.js";

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

export function startLive(id) {
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

export function stopLive() {
  for (const stop of state.stopLive) stop();
  state.stopLive = [];
}
