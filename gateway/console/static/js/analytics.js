// Journey analytics: key figures, conversion by channel path, channel switches, forced contacts
// and incidents over a window, all from the public `analytics(from, to)` GraphQL query.
// Charts are drawn by the vendored Chart.js (a classic script that defines `window.Chart`).
import { ApiError, gql } from "./api.js";
import { ANALYTICS, FORCED_CONTACTS } from "./queries.js";
import { channelLabel, empty, fill, h, money } from "./render.js";

const $ = (id) => document.getElementById(id);
const DAY_MS = 24 * 3600 * 1000;
// `seq` names the window being shown: an answer for an earlier window (the assistant chose
// another meanwhile) draws nothing, and neither does a "Load more" page asked for under it
// (`forcedBusy` is the page on its way for the window shown, which such a page no longer holds).
const state = { from: null, to: null, forcedAfter: null, charts: [], seq: 0, forcedBusy: null };
// The days the picker shows for `state.from` and `state.to`: a day left as shown keeps its
// instant (a window asked for with an offset, or not at midnight, is not moved by a re-submit).
const shown = { from: "", to: "" };

function notice(text) {
  $("notice").textContent = text;
  $("notice").className = "notice error";
  $("notice").hidden = !text;
}

/** A parameter of the address as written there. A "+" stays a "+": in an instant it is the
 * offset's sign, and an address typed or pasted by hand seldom writes it %2B, whereas
 * URLSearchParams reads it as a space (an instant the gateway would refuse or misread). */
function addressParam(name) {
  const pair = location.search.slice(1).split("&").find((p) => p.split("=")[0] === name);
  if (pair === undefined) return null;
  const written = pair.slice(name.length + 1);
  try {
    return decodeURIComponent(written);
  } catch {
    return written; // a stray "%": the text as written, which `badBound` then explains
  }
}

// A day, then optionally a time and a timezone: what the gateway reads as a DateTime (ISO 8601).
const INSTANT =
  /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/i;

/** Why a bound written in the address cannot be asked for, or "" when it can. */
function badBound(name, value) {
  if (value === null || INSTANT.test(value)) return "";
  return `The address gives “${name}=${value}”, which is not a date and time: write it as `
    + `2033-05-01T00:00:00Z, or with an offset such as 2033-05-01T00:00:00+02:00. `
    + "Choose the days below instead.";
}

/** A bound of the address without a timezone (a day, or a time with no offset) is UTC, as the
 * picker and the window's label say: the gateway refuses an instant without one, and the
 * browser would read it in its own time zone. */
function asUtc(value) {
  if (value === null || !INSTANT.test(value)) return value; // `badBound` explains it
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
  return /(Z|[+-]\d{2}(:?\d{2})?)$/i.test(value.slice(10)) ? value : `${value}Z`;
}

/** The window asked for in the URL; without one, the gateway's default (the 30 days up to the
 * newest interaction's day), which the first answer's `from` and `to` then fill in. */
function initialWindow() {
  return { from: asUtc(addressParam("from")), to: asUtc(addressParam("to")) };
}

/** The UTC day of an ISO instant, as the picker shows it (the text's own date when unparsable). */
function utcDay(instant) {
  if (!instant) return "";
  const at = new Date(instant);
  return Number.isNaN(at.getTime()) ? instant.slice(0, 10) : at.toISOString().slice(0, 10);
}

function showWindow() {
  shown.from = $("from").value = utcDay(state.from);
  shown.to = $("to").value = utcDay(state.to);
  $("window-label").textContent = state.from
    ? `From ${state.from} until ${state.to} (not included), UTC.` : "";
}

/** The instant of a bound from the picker: the one shown if its day was left alone, else the
 * chosen day's UTC midnight. */
function chosen(bound) {
  const day = $(bound).value;
  return day === shown[bound] && state[bound] ? state[bound] : `${day}T00:00:00Z`;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * DAY_MS / 1000) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

const percent = (rate) => `${Math.round(rate * 100)} %`;
const pathLabel = (path) => path.map(channelLabel).join(" → ");

function figure(key, label, value, detail) {
  return h("div", { class: "figure", dataset: { figure: key } },
    h("span", { class: "figure-value" }, value),
    h("span", { class: "figure-label" }, label),
    detail ? h("span", { class: "figure-detail muted" }, detail) : null);
}

/** Why the gateway left `analytics.<field>` null (each figure fails alone, with an error at its
 * path): that error's message, or a generic one. */
function whyMissing(errors, field) {
  const error = errors.find((e) => e.path?.[0] === "analytics" && e.path?.[1] === field);
  return error?.message ?? "Unavailable right now.";
}

/** A panel's text in place of a figure the gateway could not give. */
const missing = (reason) => h("p", { class: "message error missing" }, reason);

/** A key figure, or "—" and why it is missing when `value` is null. */
function figureOr(value, reason, key, label, show) {
  if (value !== null && value !== undefined) return figure(key, label, ...show(value));
  return h("div", { class: "figure", dataset: { figure: key, missing: "" } },
    h("span", { class: "figure-value" }, "—"),
    h("span", { class: "figure-label" }, label),
    h("span", { class: "figure-detail message error" }, reason));
}

function showFigures(a, why) {
  fill("figures",
    figureOr(a.revenue, why("revenue"), "revenue", "Revenue", (r) => [money(r)]),
    figureOr(a.transactions, why("transactions"), "transactions", "Transactions", (t) => [t]),
    figureOr(a.activeCarts, why("activeCarts"), "active-carts", "Active carts",
      (c) => [c.count, c.value ? `worth ${money(c.value)}` : "value unavailable"]),
    // Every journey of the window: the paths' table shows only the most frequent paths.
    figureOr(a.conversion, why("conversion"), "conversion", "Journeys converted",
      ({ started, converted }) => [started ? percent(converted / started) : "—",
        `${converted} of ${started} started`]),
    figureOr(a.timeToConvert, why("timeToConvert"), "time-to-convert", "Median time to convert",
      (t) => [duration(t.medianSeconds), `p90 ${duration(t.p90Seconds)}`]),
    figureOr(a.forcedContacts, why("forcedContacts"), "forced-contacts", "Forced contacts",
      (f) => [f.totalCount,
        f.byChannel.map((c) => `${channelLabel(c.channel)} ${c.count}`).join(" · ")]));
}

function barChart(canvasId, labels, values, label, options = {}) {
  const chart = new window.Chart($(canvasId), {
    type: "bar",
    data: { labels, datasets: [{ label, data: values, backgroundColor: "#2f5bea" }] },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { display: false } },
      ...options,
    },
  });
  state.charts.push(chart);
}

function clearCharts() {
  for (const chart of state.charts) chart.destroy();
  state.charts = [];
}

/** Nothing of the window shown before stays on the page while another one loads or fails. */
function clearWindow() {
  clearCharts();
  for (const id of ["figures", "conversion-table", "switches-summary", "incidents", "forced"]) {
    fill(id);
  }
  $("forced-count").textContent = "";
  $("forced-more").hidden = true;
  $("forced-more").disabled = false;
  Object.assign(state, { forcedAfter: null, forcedBusy: null });
}

function showCharts(a, why) {
  clearCharts();
  showConversion(a.conversionByPath, why("conversionByPath"));
  showSwitches(a.channelSwitches, why("channelSwitches"));
}

function showConversion(paths, reason) {
  if (!paths) return fill("conversion-table", missing(reason));
  barChart("chart-conversion", paths.map((p) => pathLabel(p.path)),
    paths.map((p) => Math.round(p.rate * 1000) / 10), "Conversion rate (%)",
    { indexAxis: "y", scales: { x: { min: 0, max: 100, title: { display: true, text: "%" } } } });
  fill("conversion-table", paths.length
    ? h("table", { class: "data" },
      h("thead", {}, h("tr", {}, h("th", {}, "Path"), h("th", {}, "Started"),
        h("th", {}, "Converted"), h("th", {}, "Rate"))),
      h("tbody", {}, paths.map((p) => h("tr", { dataset: { path: p.label } },
        h("td", {}, pathLabel(p.path)), h("td", {}, p.started), h("td", {}, p.converted),
        h("td", {}, percent(p.rate))))))
    : empty("No journey started in this window."));
}

function showSwitches(switches, reason) {
  if (!switches) return fill("switches-summary", missing(reason));
  const dist = switches.distribution;
  barChart("chart-switches", dist.map((d) => String(d.switches)), dist.map((d) => d.journeys),
    "Journeys", { scales: {
      x: { title: { display: true, text: "channel switches" } },
      y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "journeys" } },
    } });
  fill("switches-summary", h("p", { class: "muted" },
    `${switches.journeys} journeys, ${(switches.mean ?? 0).toFixed(1)} switches on average`));
}

/** The degraded systems; what depends on them (one statement) is "—" when it failed, and
 * `reason` (that statement's error) says why under the table. */
function showIncidents(incidents, reason) {
  if (!incidents.length) {
    return fill("incidents", h("p", { class: "all-ok" }, "All channel systems healthy."));
  }
  fill("incidents", h("table", { class: "data" },
    h("thead", {}, h("tr", {}, ["System", "State", "Owning team", "Recent failures",
      "Customers affected", "Cart value affected"].map((t) => h("th", {}, t)))),
    h("tbody", {}, incidents.map((i) => h("tr", { dataset: { system: i.system } },
      h("td", {}, i.system),
      h("td", {},
        h("span", { class: "badge source-failed" }, `degraded · breaker ${i.breakerState}`)),
      h("td", {}, i.team), h("td", {}, i.recentFailures),
      h("td", {}, i.customersAffected ?? "—"),
      h("td", {}, i.customersAffected === null ? "—"
        : i.cartValue ? money(i.cartValue) : "unknown"))))),
  reason ? missing(reason) : null);
}

function forcedItems(edges) {
  return edges.map(({ node: f }) => h("li", { dataset: { contact: f.contact.id } },
    h("span", { class: "badge source-stale" }, f.reason), " ",
    h("span", { class: "explanation" }, f.explanation),
    h("span", { class: "muted" }, ` · customer ${f.customerId}`)));
}

function showForced(connection, append, reason) {
  if (!connection) return fill("forced", missing(reason));
  const list = append ? $("forced").querySelector("ol") : h("ol", { class: "forced" });
  list.append(...forcedItems(connection.edges));
  if (!append) {
    fill("forced", connection.edges.length ? list : empty("No forced contact in this window."));
  }
  $("forced-count").textContent = `(${connection.totalCount})`;
  state.forcedAfter = connection.pageInfo.endCursor;
  $("forced-more").hidden = !connection.pageInfo.hasNextPage;
}

async function load() {
  const seq = ++state.seq;
  notice("");
  showWindow();
  clearWindow();
  $("loading").hidden = false;
  try {
    const { data, errors } = await gql(ANALYTICS, { from: state.from, to: state.to });
    if (seq !== state.seq) return;
    const a = data?.analytics;
    if (!a) {
      const [error] = errors;
      throw new ApiError(error?.message ?? "Analytics unavailable.", error?.extensions?.code);
    }
    Object.assign(state, { from: a.from, to: a.to });
    showWindow();
    // A figure whose statement failed is null with its own error: the others are drawn.
    const why = (field) => whyMissing(errors, field);
    showFigures(a, why);
    showCharts(a, why);
    // The incidents' customers and cart value: one statement, one error per field it left null.
    const exposure = errors.find(
      (e) => e.path?.[0] === "analytics" && e.path?.[1] === "incidents");
    showIncidents(a.incidents, exposure?.message);
    showForced(a.forcedContacts, false, why("forcedContacts"));
  } catch (error) {
    if (seq !== state.seq) return;
    clearWindow();
    notice(error.message);
  } finally {
    if (seq === state.seq) $("loading").hidden = true;
  }
}

/** The next page of forced contacts; one at a time, since two pages asked for after the same
 * cursor would list the same contacts twice. */
async function moreForced() {
  if (state.forcedBusy) return;
  const seq = state.seq;
  const token = {};
  state.forcedBusy = token;
  $("forced-more").disabled = true;
  try {
    const { data, errors } = await gql(FORCED_CONTACTS,
      { from: state.from, to: state.to, after: state.forcedAfter });
    if (seq !== state.seq) return;
    const page = data?.analytics?.forcedContacts;
    if (!page) throw new ApiError(errors[0]?.message ?? "Forced contacts unavailable.");
    showForced(page, true);
  } catch (error) {
    if (seq === state.seq) notice(error.message);
  } finally {
    if (state.forcedBusy === token) {
      state.forcedBusy = null;
      $("forced-more").disabled = false;
    }
  }
}

function start() {
  Object.assign(state, initialWindow());
  const problems = ["from", "to"].map((bound) => badBound(bound, state[bound])).filter(Boolean);
  $("window").addEventListener("submit", (event) => {
    event.preventDefault();
    Object.assign(state, { from: chosen("from"), to: chosen("to") });
    const url = new URL(location.href);
    url.searchParams.set("from", state.from);
    url.searchParams.set("to", state.to);
    history.replaceState(null, "", url);
    load();
  });
  $("forced-more").addEventListener("click", moreForced);
  if (!problems.length) return load();
  // Nothing is asked for: the picker starts empty and the assistant chooses the days.
  Object.assign(state, { from: null, to: null });
  showWindow();
  notice(problems.join(" "));
}

start();
