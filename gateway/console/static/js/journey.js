// The active journey and "Resume here": one resumption per click, the hand-off shown, then the
// customer's context read again (`reload`, given by whoever draws the journey).
import { ApiError, gql, idempotencyKey } from "./api.js";
import * as Q from "./queries.js";
import { fill, h, handOffView, journeyView, loading } from "./render.js";
import { $, myChannel, state, stillOn } from "./state.js";

export function showJourney(journey, reload) {
  state.journey = journey;
  fill("journey", journeyView(journey, () => resume(reload)));
  resumeButton();
}

/** "Resume here" is disabled while a resumption is on its way (a click then does nothing). */
function resumeButton() {
  const button = $("resume");
  if (button) button.disabled = state.resuming !== null;
}

// Once per click, however fast the clicks: each resumption is a step of the journey.
async function resume(reload) {
  if (state.resuming) return;
  const token = {};
  state.resuming = token;
  resumeButton();
  try {
    await resumeHere(reload);
  } finally {
    if (state.resuming === token) {
      state.resuming = null;
      resumeButton();
    }
  }
}

async function resumeHere(reload) {
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
    await reload();
    if (stillOn(id)) box.hidden = false;
  } catch (error) {
    if (stillOn(id)) box.replaceChildren(h("p", { class: "message error" }, error.message));
  }
}
