// The timeline: its newest page, older pages with "Load more", the newest page read again when
// something happened elsewhere; its requests run one after the other, and an answer for a
// timeline replaced since (a customer, a filter) draws nothing.
import { ApiError, gql } from "./api.js";
import { mayPass } from "./live.js";
import * as Q from "./queries.js";
import { empty, fill, h, loading, timelineItems } from "./render.js";
import { $, state, timelineChannels } from "./state.js";

export function showTimeline(history, append) {
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
export function newTimeline() {
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

export function loadTimeline() {
  newTimeline();
  fill("timeline", loading());
  $("timeline-more").hidden = true; // nothing to page on from until the newest page is back
  return timelineTask(newestPage);
}

/** "Load more": one page per click, after whatever the timeline is reading (a live refresh). */
export async function moreTimeline() {
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
export function refreshTimeline() {
  return timelineTask(newestPage);
}

/** Why the timeline stopped following other channels (under it), or nothing (`null`). */
export function timelineLive(problem) {
  const box = $("timeline-live");
  box.hidden = !problem;
  box.dataset.code = problem?.code ?? "";
  if (!problem) return box.replaceChildren();
  box.textContent = `The timeline stopped following other channels: ${problem.message} `
    + (mayPass(problem)
      ? "Trying again in a moment."
      : "Open the customer again to see what happened since.");
}
