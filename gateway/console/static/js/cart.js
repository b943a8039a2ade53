// The shared cart: drawn only when newer than the one shown, changed one change at a time with
// the version shown, and read again whenever what is shown may no longer be the gateway's.
import { errorWith, gql, idempotencyKey } from "./api.js";
import * as Q from "./queries.js";
import { cartView, fill } from "./render.js";
import { $, cartMessage, myChannel, myStore, state, stillOn, storeVars } from "./state.js";

export function showCart(cart, force = false) {
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
export function cartButtons() {
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
  // Not forced: a newer cart may have reached the page live while this one was on its way.
  if (stillOn(id)) showCart(customer.cart);
  return null;
}

export function addItem(sku, qty) {
  return changeCart(Q.ADD_ITEM, { sku, qty }, "addCartItem");
}

export function setQuantity(line, qty) {
  if (qty <= 0) return changeCart(Q.REMOVE_ITEM, { sku: line.product.sku }, "removeCartItem");
  return changeCart(Q.SET_QUANTITY, { sku: line.product.sku, qty }, "setCartItemQuantity");
}
