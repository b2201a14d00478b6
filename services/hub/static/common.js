// The dashboard's shared part: the token, calls to the hub's API, polling and DOM helpers.
// Data never goes through innerHTML: every element is built and filled with textContent.
"use strict";

const swx = (() => {
  const KEY = "swx-dashboard-token";
  const SVG = "http://www.w3.org/2000/svg";
  const POLL_MS = 2000;
  const base = document.body.dataset.base || "";
  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value !== null && value !== undefined) node.setAttribute(name, String(value));
    }
    node.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (
      c instanceof Node ? c : document.createTextNode(String(c)))));
    return node;
  }

  function svg(tag, attrs = {}, text = null) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== null) node.textContent = text;
    return node;
  }

  class ApiError extends Error {
    constructor(status, detail) { super(detail); this.status = status; }
  }

  /** Call the hub with the token; a 401 signs the tab out. */
  async function api(path, options = {}) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${sessionStorage.getItem(KEY) || ""}` };
    const response = await fetch(base + path, { ...options, headers: { ...headers, ...(options.headers || {}) } });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) {
      signOut("The hub did not accept the token: sign in again.");
    }
    if (!response.ok) throw new ApiError(response.status, body.detail || `the hub answered ${response.status}`);
    return body;
  }

  const query = (params) => {
    const given = Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined);
    return given.length ? `?${new URLSearchParams(given)}` : "";
  };

  function messageHref(messageId, sender) {
    return `${base}/dashboard/messages/${encodeURIComponent(messageId)}${query({ sender })}`;
  }

  /** "2026-05-04 10:21:07 UTC" from an ISO time (the zone written, whatever the reader's own);
   * with milliseconds when ``precise``. */
  function time(iso, precise = false) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return `${date.toISOString().replace("T", " ").slice(0, precise ? 23 : 19)} UTC`;
  }

  /** A <time> element: the UTC text, the instant in ``datetime``, the reader's local time on hover. */
  function when(iso, precise = false) {
    if (!iso) return document.createTextNode("—");
    const date = new Date(iso);
    const local = Number.isNaN(date.getTime()) ? null : `your time: ${date.toLocaleString()}`;
    return el("time", { datetime: iso, title: local }, time(iso, precise));
  }

  /** Why a waiting message does not move: "waiting: VN suspended by the operator since ... UTC". */
  function heldText(receiver, suspension) {
    const note = suspension.note ? ` (${suspension.note})` : "";
    return `waiting: ${receiver} suspended by the operator since ${time(suspension.since)}${note}`;
  }

  function badge(state) {
    return el("span", { class: `badge state-${state.toLowerCase().replaceAll("_", "-")}` }, state);
  }

  /** Replace a container's children only when the data changed (no flicker, focus kept);
   * true when it did. */
  function renderIf(container, data, build) {
    const key = JSON.stringify(data);
    if (container.dataset.rendered === key) return false;
    container.dataset.rendered = key;
    container.replaceChildren(...[].concat(build(data)));
    return true;
  }

  let timer = null;
  let round = 0;

  /** Run ``refresh`` now and every two seconds after it finished, while signed in; a new
   * call replaces the loop (a request still in flight does not start a second one). */
  function poll(refresh) {
    clearTimeout(timer);
    const mine = ++round;
    const live = $("live");
    const tick = async () => {
      if (mine !== round || !sessionStorage.getItem(KEY)) return;
      try {
        if (!document.hidden) await refresh();
        live.textContent = "live";
        live.classList.remove("stale");
      } catch (error) {
        live.textContent = `not updated: ${error.message}`;
        live.classList.add("stale");
      }
      if (mine === round && sessionStorage.getItem(KEY)) timer = setTimeout(tick, POLL_MS);
    };
    return tick();
  }

  function signOut(reason = "") {
    clearTimeout(timer);
    round += 1;
    sessionStorage.removeItem(KEY);
    $("content").hidden = true;
    $("who").hidden = true;
    $("sign-in").hidden = false;
    $("token-error").textContent = reason;
    $("token").focus();
  }

  /** Ask for a token once (kept in sessionStorage), then hand the session to ``ready``. */
  function start(ready) {
    const enter = async () => {
      const who = await api("/dashboard/api/session");
      $("who-name").textContent = who.operator ? who.name : `${who.country} ${who.name}`;
      $("who").hidden = false;
      $("sign-in").hidden = true;
      $("content").hidden = false;
      ready(who);
    };
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      sessionStorage.setItem(KEY, $("token").value.trim());
      $("token").value = "";
      enter().catch((error) => signOut(error.message));
    });
    $("sign-out").addEventListener("click", () => signOut());
    if (sessionStorage.getItem(KEY)) enter().catch((error) => signOut(error.message));
    else signOut();
  }

  return { $, el, svg, api, query, messageHref, time, when, heldText, badge, renderIf, poll, start, ApiError };
})();
