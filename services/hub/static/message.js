// One message: its state, timeline, signed receipt, findings, error signal, answers and payload,
// refreshed every two seconds; the operator may replay a FAILED message.
"use strict";

(() => {
  const { $, el, api, query, messageHref, time, when, heldText, badge, renderIf, poll, start, ApiError } = swx;
  const article = $("message");
  const messageId = article.dataset.messageId;
  const sender = article.dataset.sender;
  const path = `/messages/${encodeURIComponent(messageId)}`;
  let session = null;
  let payloadShown = false;

  const none = (text) => el("p", { class: "hint" }, text);
  const facts = (pairs) => el("dl", { class: "facts" }, ...pairs.filter(([, v]) => v !== null && v !== undefined)
    .flatMap(([name, value]) => [el("dt", {}, name), el("dd", {}, value)]));
  const link = (id, from, text) => el("a", { href: messageHref(id, from), class: "mono" }, text || id);

  function overview(m) {
    return facts([
      ["Link", `${m.sender} → ${m.receiver}`], ["Document type", m.document_type],
      ["Conversation", el("span", { class: "mono" }, m.conversation_id)],
      ["In reply to", m.in_reply_to ? link(m.in_reply_to, m.receiver) : null],
      ["Attempts", m.attempts], ["Created by the sender", time(m.created_at)], ["Received by the hub", time(m.received_at)],
      ["Delivered", m.delivered_at ? time(m.delivered_at) : null],
      ["Acknowledged", m.acknowledged_at ? time(m.acknowledged_at) : null],
      ["Next attempt", m.next_attempt_at ? time(m.next_attempt_at) : null],
      ["Last error", m.last_error],
    ]);
  }

  const timelineRow = (step) => el("tr", { "data-state": step.state },
    el("td", {}, badge(step.state)), el("td", { class: "mono" }, when(step.at, true)), el("td", {}, step.note || ""));

  function receipt(m) {
    const r = m.receipt;
    if (!r) return none(m.state === "REJECTED" ? "None: the receiver refused the message (see the error signal)."
      : "None yet: the receiver has not acknowledged receipt.");
    const signer = r.signature ? "Signed by the receiver (JWS, EdDSA); the hub verified the signature "
      + "against the directory before it kept the receipt." : "Not signed.";
    return [facts([
      ["Receipt", el("span", { class: "mono" }, r.receipt_id)], ["Issued by", r.receiver],
      ["Received at", time(r.received_at)],
      ["Payload digest", r.payload_digest === m.payload_digest ? "matches the message's" : "DIFFERS from the message's"],
      ["Signature", signer],
    ]), r.signature ? el("details", {}, el("summary", {}, "The JWS"), el("pre", { class: "wrap" }, r.signature)) : null]
      .filter(Boolean);
  }

  function where(loc) {
    return Object.entries(loc || {}).map(([key, value]) => `${key} ${value}`).join(", ");
  }

  function findings(list) {
    if (!list.length) return none("None: the payload passed every check at the hub.");
    return el("ul", { class: "findings" }, ...list.map((f) => el("li", {},
      el("span", { class: `badge severity-${f.severity}` }, f.severity), " ", el("code", {}, f.code),
      ` (${f.layer}) ${f.message}`, f.location && Object.keys(f.location).length
        ? el("span", { class: "hint" }, ` at ${where(f.location)}`) : null)));
  }

  function errorSignal(signal) {
    if (!signal) return none("None.");
    return [facts([["Code", el("code", {}, signal.code)], ["Category", signal.category],
      ["From", signal.receiver], ["At", time(signal.created_at)], ["Description", signal.description],
      ["Signed", signal.signature ? "yes, by the receiver" : "no"]]),
    signal.finding ? findings(signal.finding) : null].filter(Boolean);
  }

  function replies(m) {
    if (!m.replies.length) {
      return none(m.in_reply_to ? "This message is itself an answer (see \"In reply to\")." : "No answer yet.");
    }
    return el("ul", { class: "replies" }, ...m.replies.map((r) => el("li", {},
      link(r.message_id, r.sender, r.document_type), ` from ${r.sender}, received ${time(r.received_at)} `,
      badge(r.state))));
  }

  function render(m) {
    renderIf($("state"), m.state, (state) => badge(state));
    const held = $("held");
    held.hidden = !m.receiver_suspended;
    held.textContent = m.receiver_suspended ? `${heldText(m.receiver, m.receiver_suspended)}: the hub sends it `
      + "once the operator resumes deliveries; it spends no attempts meanwhile." : "";
    renderIf($("facts"), m, (data) => [...overview(data).childNodes]);
    renderIf(document.querySelector("#timeline tbody"), m.timeline, (steps) => steps.map(timelineRow));
    renderIf($("receipt"), [m.receipt, m.state], () => receipt(m));
    renderIf($("findings"), m.findings, findings);
    renderIf($("error-signal"), m.error_signal, errorSignal);
    renderIf($("replies"), [m.replies, m.in_reply_to], () => replies(m));
    if (m.payload !== undefined) {
      $("payload-format").textContent = `(${m.payload_format}, SHA-256 ${m.payload_digest.slice(0, 16)}…)`;
      $("payload").textContent = m.payload;
      payloadShown = true;
    }
    $("replay-box").hidden = !(session.may_replay && session.replayable_states.includes(m.state));
  }

  async function refresh() {
    try {
      const m = await api(`${path}${query({ sender, payload: payloadShown ? "" : "true" })}`);
      $("load-error").textContent = "";
      render(m);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) $("load-error").textContent = error.message;
      else throw error;
    }
  }

  $("replay").addEventListener("click", async () => {
    const button = $("replay");
    button.disabled = true;
    $("replay-result").textContent = "Replaying…";
    try {
      const m = await api(`${path}/replay${query({ sender })}`, { method: "POST" });
      $("replay-result").textContent = `Replay accepted: the message is ${m.state} again and will be delivered `
        + "under the same id.";
      render(m);
    } catch (error) {
      $("replay-result").textContent = `Replay refused: ${error.message}`;
    } finally {
      button.disabled = false;
    }
  });

  start((who) => {
    session = who;
    poll(refresh);
  });
})();
