// Finding a customer: by an identity (opened at once) or by name (matches listed, a page at a
// time); only the latest search may open a customer or list matches.
import { ApiError, errorWith, gql } from "./api.js";
import * as Q from "./queries.js";
import { empty, h, loading, words } from "./render.js";
import { $, notice, state } from "./state.js";

export async function find(event, open) {
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
      if (edges.length === 1 && !pageInfo.hasNextPage) return open(edges[0].node.id);
      if (!edges.length) return results.replaceChildren(empty(`Nobody is called “${text}”.`));
      showMatches(text, data.searchCustomers, seq, h("ul", { class: "plain" }), open);
    } else {
      const { data, errors } = await gql(Q.BY_IDENTITY, { kind, value: text });
      if (superseded()) return;
      if (errorWith(errors, "NOT_FOUND")) {
        return results.replaceChildren(empty(`No customer holds this ${words(kind)}.`));
      }
      if (errors.length) throw new ApiError(errors[0].message, errors[0].extensions?.code);
      return open(data.customerByIdentity.id);
    }
  } catch (error) {
    if (superseded()) return;
    results.hidden = true;
    notice(error.message);
  }
}

function matchItem({ node }, open) {
  return h("li", {},
    h("button", { class: "link", onclick: () => open(node.id) }, node.displayName),
    h("span", { class: "muted" }, " " + node.identities
      .filter((i) => ["EMAIL", "LOYALTY_CARD", "PHONE"].includes(i.kind))
      .map((i) => i.value).join(" · ")));
}

/** Matches of a name search, a page at a time: "More matches" follows the cursor. */
function showMatches(text, connection, seq, list, open) {
  list.append(...connection.edges.map((edge) => matchItem(edge, open)));
  const { hasNextPage, endCursor } = connection.pageInfo;
  const more = hasNextPage ? h("button", {
    id: "results-more", class: "secondary",
    onclick: (event) => moreMatches(event.currentTarget, text, endCursor, seq, list, open),
  }, "More matches") : null;
  $("results").replaceChildren(
    h("h2", {}, `${list.children.length}${hasNextPage ? "+" : ""} customers`),
    list, ...(more ? [more] : []));
}

async function moreMatches(button, text, after, seq, list, open) {
  button.disabled = true; // one page at a time: a second click would list the same page again
  button.textContent = "Loading…";
  try {
    const { data, errors } = await gql(Q.SEARCH, { q: text, after });
    if (seq !== state.searchSeq) return;
    if (!data?.searchCustomers) throw new ApiError(errors[0]?.message ?? "Search unavailable.");
    showMatches(text, data.searchCustomers, seq, list, open);
  } catch (error) {
    if (seq !== state.searchSeq) return;
    button.disabled = false;
    button.textContent = "More matches";
    notice(error.message);
  }
}
