// The overview: the six countries as a network with live counts per link, and the message table.
"use strict";

(() => {
  const { $, el, svg, api, query, messageHref, time, badge, renderIf, poll, start } = swx;
  const GROUPS = ["delivered", "waiting", "failed"];
  const SYMBOLS = { delivered: "✓", waiting: "…", failed: "✗" };
  const NODE_RADIUS = 30;
  const filters = $("filters");

  function nodes() {
    const found = {};
    for (const node of document.querySelectorAll("#network-map .node")) {
      found[node.dataset.country] = { x: Number(node.dataset.x), y: Number(node.dataset.y) };
    }
    return found;
  }

  const worst = (link) => GROUPS.slice().reverse().find((group) => link[group] > 0) || "delivered";
  const describe = (link) => `${link.sender} → ${link.receiver}: ${link.delivered} delivered, `
    + `${link.waiting} waiting, ${link.failed} failed`;

  /** One arrow per directed link; the two directions of a pair run side by side. */
  function drawLink(link, at) {
    const from = at[link.sender];
    const to = at[link.receiver];
    if (!from || !to) return null;
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const length = Math.hypot(dx, dy);
    const [ux, uy] = [dx / length, dy / length];
    const [nx, ny] = [-uy * 5, ux * 5]; // the normal flips with the direction: the pair separates
    const total = link.delivered + link.waiting + link.failed;
    const group = svg("g", { class: `link link-${worst(link)}`, "data-link": `${link.sender}-${link.receiver}` });
    group.append(svg("title", {}, describe(link)));
    group.append(svg("line", {
      x1: from.x + ux * NODE_RADIUS + nx, y1: from.y + uy * NODE_RADIUS + ny,
      x2: to.x - ux * (NODE_RADIUS + 2) + nx, y2: to.y - uy * (NODE_RADIUS + 2) + ny,
      "stroke-width": 1.5 + Math.min(5, Math.log2(total + 1)), "marker-end": "url(#arrow)",
    }));
    const label = svg("text", { x: from.x + dx * 0.3 + nx * 3.2, y: from.y + dy * 0.3 + ny * 3.2 + 4 });
    for (const name of GROUPS.filter((g) => link[g] > 0)) {
      label.append(svg("tspan", { class: `count-${name}` }, `${SYMBOLS[name]}${link[name]} `));
    }
    group.append(label);
    return group;
  }

  function linkRow(link) {
    return el("tr", { "data-link": `${link.sender}-${link.receiver}` },
      el("th", { scope: "row" }, `${link.sender} → ${link.receiver}`),
      ...GROUPS.map((g) => el("td", { class: `num count-${link[g] ? g : "none"}`, "data-group": g }, link[g])));
  }

  async function refreshLinks() {
    const data = await api("/dashboard/api/links");
    const at = nodes();
    renderIf($("map-links"), data.links, (links) => links.map((link) => drawLink(link, at)).filter(Boolean));
    renderIf(document.querySelector("#links-table tbody"), data.links, (links) => (links.length ? links.map(linkRow)
      : el("tr", {}, el("td", { colspan: 4 }, "No messages yet."))));
    for (const group of GROUPS) document.querySelector(`[data-total="${group}"]`).textContent = data.totals[group];
    const active = new Set(data.links.flatMap((link) => [link.sender, link.receiver]));
    for (const node of document.querySelectorAll("#network-map .node")) {
      node.classList.toggle("idle", !active.has(node.dataset.country));
    }
  }

  function messageRow(m) {
    const link = el("a", { href: messageHref(m.message_id, m.sender), title: m.message_id },
      `${m.message_id.slice(0, 8)}…`);
    return el("tr", { "data-message-id": m.message_id },
      el("td", {}, time(m.received_at)), el("td", { class: "mono" }, link),
      el("td", {}, `${m.sender} → ${m.receiver}`), el("td", {}, m.document_type), el("td", {}, badge(m.state)),
      el("td", { class: "num" }, m.attempts));
  }

  const chosen = () => Object.fromEntries(new FormData(filters).entries());

  async function refreshMessages() {
    const data = await api(`/dashboard/api/messages${query(chosen())}`);
    $("messages-count").textContent = data.total > data.items.length
      ? `The newest ${data.items.length} of ${data.total} messages.` : `${data.total} message(s).`;
    renderIf(document.querySelector("#messages-table tbody"), data.items, (items) => (items.length
      ? items.map(messageRow) : el("tr", {}, el("td", { colspan: 6 }, "No message matches the filters."))));
  }

  const refresh = () => Promise.all([refreshLinks(), refreshMessages()]);

  // the filters live in the address, so a reload or the back button keeps them
  const fromAddress = new URLSearchParams(location.search);
  for (const select of filters.querySelectorAll("select")) {
    if (fromAddress.has(select.name)) select.value = fromAddress.get(select.name);
    select.addEventListener("change", () => {
      history.replaceState(null, "", `${location.pathname}${query(chosen())}`);
      poll(refresh);
    });
  }

  start(() => poll(refresh));
})();
