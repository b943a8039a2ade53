// Pure rendering: data in, DOM nodes out. Text always goes in through textContent (never
// innerHTML), so nothing a channel system or a customer typed can run as markup.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function fill(id, ...children) {
  document.getElementById(id).replaceChildren(...children.flat());
}

const LABELS = {
  WEB: "Web", APP: "App", STORE: "Store", CALL_CENTRE: "Call centre", CHAT: "Chat",
  EMAIL: "Email", PARTNER: "Partner",
};
export const channelLabel = (code) => LABELS[code] ?? code ?? "—";
export const words = (code) => (code ?? "").toLowerCase().replaceAll("_", " ");

export function when(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function money(m) {
  if (!m) return "price unavailable";
  return new Intl.NumberFormat(undefined, { style: "currency", currency: m.currency })
    .format(m.amount);
}

export const empty = (text) => h("p", { class: "empty" }, text);
export const loading = () => h("p", { class: "loading" }, "Loading…");

// The channel systems behind the fields, by the name `extensions.sources` uses.
export const SYSTEMS = {
  webshop: { label: "Web shop", panels: ["panel-cart"] },
  oms: { label: "Orders (OMS)", panels: ["panel-orders", "panel-cart"] },
  contact: { label: "Contact centre", panels: ["panel-tickets"] },
  mobile: { label: "Mobile", panels: ["panel-identities"] },
  stores: { label: "Stores", panels: ["panel-timeline", "panel-journey"] },
};
const RANK = { ok: 0, stale: 1, failed: 2 };

/** The worst outcome per system: [{channel, outcome, asOf, code}]. */
export function worstSources(sources) {
  const worst = new Map();
  for (const source of sources) {
    const seen = worst.get(source.channel);
    if (!seen || RANK[source.outcome] > RANK[seen.outcome]) worst.set(source.channel, source);
  }
  return [...worst.values()].sort((a, b) => a.channel.localeCompare(b.channel));
}

export function sourceBadge(source) {
  const label = SYSTEMS[source.channel]?.label ?? source.channel;
  const text = {
    ok: `${label}: live`,
    stale: `${label}: stale since ${when(source.asOf)}`,
    failed: `${label}: unavailable`,
  }[source.outcome] ?? `${label}: ${source.outcome}`;
  return h("span", {
    class: `badge source-${source.outcome}`,
    dataset: { system: source.channel, outcome: source.outcome },
    title: source.code ? `${label} — ${source.code}` : label,
  }, text);
}

export function cartView(cart, actions) {
  if (!cart || cart.lines.length === 0) return [empty("The cart is empty.")];
  const rows = cart.lines.map((line) => {
    const stock = line.availability;
    const availability = stock
      ? [`${stock.online} online`,
        stock.inStore === null ? "unknown store"
          : stock.inStore !== undefined ? `${stock.inStore} in store` : null]
        .filter(Boolean).join(" · ")
      : "availability unknown";
    const step = (label, by, text) => h("button", {
      class: "icon", "aria-label": label,
      onclick: () => actions.setQuantity(line, line.quantity + by),
    }, text);
    return h("tr", { dataset: { sku: line.product.sku } },
      h("td", {}, h("strong", {}, line.product.name), h("br"),
        h("span", { class: "muted" },
          `${line.product.sku} · added via ${channelLabel(line.addedVia)}`)),
      h("td", { class: "qty" },
        step("One less", -1, "−"),
        h("span", { class: "quantity" }, line.quantity),
        step("One more", 1, "+")),
      h("td", { class: "num" }, money(line.unitPrice),
        line.promotion
          ? h("div", { class: "promo" },
            `${line.promotion.label} (−${line.promotion.percentOff}%)`)
          : null),
      h("td", { class: "muted" }, availability));
  });
  return [
    h("table", { class: "lines" },
      h("thead", {}, h("tr", {}, h("th", {}, "Product"), h("th", {}, "Qty"),
        h("th", { class: "num" }, "Unit price"), h("th", {}, "Availability"))),
      h("tbody", {}, rows)),
    h("p", { class: "total" }, `${cart.itemCount} item(s) · total `,
      h("strong", { id: "cart-total" }, cart.total ? money(cart.total) : "unavailable")),
  ];
}

export function journeyView(journey, onResume) {
  if (!journey) return [empty("No active journey.")];
  const steps = journey.steps.slice(-6).map((s) =>
    h("li", { value: s.n }, `${words(s.type)} · ${channelLabel(s.channel)}`,
      s.product ? ` · ${s.product.name}` : "", s.store ? ` · ${s.store.name}` : "",
      h("span", { class: "muted" }, ` — ${when(s.at)}`)));
  return [
    h("p", { class: "intent" }, h("strong", {}, journey.intent), " ",
      h("span", { class: "badge muted" }, words(journey.status))),
    h("p", { class: "muted" },
      `Started ${when(journey.startedAt)} · last on ${channelLabel(journey.lastChannel)}`),
    journey.nextStep ? h("p", {}, "Next step: ", h("em", {}, journey.nextStep)) : null,
    h("ol", { class: "steps" }, steps),
    h("button", { id: "resume", onclick: onResume }, "Resume here"),
  ];
}

export function handOffView(handOff) {
  const products = (list) => list.length
    ? h("ul", {}, list.map((p) => h("li", {}, `${p.name} (${p.sku})`)))
    : empty("None.");
  const notes = handOff.assistantNotes === null
    ? h("p", { class: "badge source-failed" }, "Store notes unavailable")
    : handOff.assistantNotes.length
      ? h("ul", {}, handOff.assistantNotes.map((n) =>
        h("li", {}, `“${n.text}” — ${n.author}, ${when(n.at)}`)))
      : empty("No assistant notes.");
  return [
    h("h4", {}, `Resumed here · step ${handOff.stepsSoFar.length} `
      + `on ${channelLabel(handOff.journey.lastChannel)}`),
    handOff.nextStep ? h("p", {}, "Next step: ", h("em", {}, handOff.nextStep)) : null,
    h("h5", {}, "Tried in store"), products(handOff.productsTriedInStore),
    h("h5", {}, "Viewed"), products(handOff.productsViewed.slice(0, 8)),
    h("h5", {}, "Assistant notes"), notes,
  ];
}

export function identitiesView(customer) {
  const identities = customer.identities.map((i) =>
    h("li", {}, h("span", { class: "kind" }, words(i.kind)), " ", h("code", {}, i.value),
      h("span", { class: "muted" }, ` via ${words(i.source)}, since ${when(i.since)}`)));
  const devices = customer.devices.map((d) =>
    h("li", {}, h("span", { class: "kind" }, d.kind), ` ${d.os}`,
      d.registration
        ? h("span", { class: "muted" }, ` · push ${d.registration.pushEnabled ? "on" : "off"}`)
        : null));
  return [
    identities.length ? h("ul", { class: "plain" }, identities) : empty("No identifiers."),
    h("h4", {}, "Devices"),
    devices.length ? h("ul", { class: "plain" }, devices) : empty("No devices."),
  ];
}

export function timelineItems(edges) {
  return edges.map(({ cursor, node: i }) =>
    h("li", { dataset: { channel: i.channel, cursor } },
      h("span", { class: `chip chip-${i.channel.toLowerCase()}` }, channelLabel(i.channel)),
      h("span", { class: "what" }, words(i.type),
        i.product ? ` · ${i.product.name}` : "", i.store ? ` · ${i.store.name}` : ""),
      h("time", { datetime: i.at }, when(i.at))));
}

/** The message of the error that left `customer.<field>` null, or null when none did. */
export function whyNull(errors, field) {
  const error = errors.find((e) => e.path?.[0] === "customer" && e.path?.[1] === field);
  return error ? error.message : null;
}

/** A panel whose data did not come: why, when the gateway said. */
export function unavailable(reason) {
  return h("p", { class: "message error" },
    reason ? `Unavailable: ${reason}.` : "Unavailable right now.");
}

export function listOrEmpty(connection, text, reason, item) {
  if (connection === null) return [unavailable(reason)];
  if (!connection.edges.length) return [empty(text)];
  return [h("ul", { class: "plain" }, connection.edges.map(({ node }) => item(node)))];
}

/** The customer's consent decisions; null when the gateway could not say (an error explains). */
export function consentsView(consents) {
  if (consents === null || consents === undefined) return empty("Consents unavailable.");
  if (!consents.length) return empty("No consent decision recorded.");
  return h("ul", { class: "plain" }, consents.map((c) =>
    h("li", { dataset: { purpose: c.purpose } },
      h("span", { class: "kind" }, words(c.purpose)), " ",
      h("span", { class: c.granted ? "consent-granted" : "consent-refused" },
        c.granted ? "granted" : "refused"),
      h("span", { class: "muted" }, ` via ${words(c.source)}, ${when(c.at)}`))));
}
