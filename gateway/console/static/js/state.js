// The console's shared state and the few helpers every part of it uses: the page's elements, the
// assistant's settings (channel, store, timeline filter) and the two places errors are said.

export const $ = (id) => document.getElementById(id);
export const state = {
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
export const stillOn = (id) => state.customerId === id;

export const myChannel = () => $("my-channel").value;
export const myStore = () => $("my-store").value.trim();
export const timelineChannels = () =>
  ($("timeline-channel").value ? [$("timeline-channel").value] : null);
export const storeVars = () => ({ store: myStore(), hasStore: myStore() !== "" });

export function notice(text, kind = "error") {
  const box = $("notice");
  box.textContent = text;
  box.className = `notice ${kind}`;
  box.hidden = !text;
}

export function cartMessage(text, kind = "error") {
  const box = $("cart-message");
  box.textContent = text;
  box.className = `message ${kind}`;
  box.hidden = !text;
}
