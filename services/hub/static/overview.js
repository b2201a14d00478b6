// The overview: the six countries as a network with live counts per link, the participants the
// operator suspended, and the message table.
"use strict";

(() => {
  const { $, el, svg, api, query, messageHref, time, when, heldText, badge, renderIf, poll, start } = swx;
  const GROUPS = ["delivered", "waiting", "failed"];
  const SYMBOLS = { delivered: "✓", waiting: "…", failed: "✗" };
  const NODE_RADIUS = 30;
  const LABEL_GAP = 2; // user units kept clear around every label
  // where a count label may sit: a fraction of the way along its arrow (nearer the sender first), then
  // a distance from the arrow on its own side (the other direction's label is on the other side)
  const ALONG = [0.3, 0.4, 0.5, 0.6, 0.25, 0.35, 0.45, 0.55, 0.65, 0.7, 0.2, 0.75, 0.8];
  const ASIDE = [16, 22, 28, 36, 46, 58, -16, -24, -32, -42];
  const filters = $("filters");
  const map = $("network-map");
  let operator = false;

  function nodes() {
    const found = {};
    for (const node of map.querySelectorAll(".node")) {
      found[node.dataset.country] = { x: Number(node.dataset.x), y: Number(node.dataset.y) };
    }
    return found;
  }

  const worst = (link) => GROUPS.slice().reverse().find((group) => link[group] > 0) || "delivered";
  const describe = (link) => `${link.sender} → ${link.receiver}: ${link.delivered} delivered, `
    + `${link.waiting} waiting, ${link.failed} failed`;

  /** One arrow per directed link, the two directions of a pair side by side, and its count
   * label. The label keeps its arrow's geometry in data attributes: ``placeLabels`` then finds
   * it a spot. */
  function drawLink(link, at) {
    const from = at[link.sender];
    const to = at[link.receiver];
    if (!from || !to) return null;
    const dx = to.x - from.x;
    const dy = to.y - from.y;
    const length = Math.hypot(dx, dy);
    const [ux, uy] = [dx / length, dy / length];
    const [nx, ny] = [-uy, ux]; // the normal flips with the direction: the pair separates
    const total = link.delivered + link.waiting + link.failed;
    const group = svg("g", { class: `link link-${worst(link)}`, "data-link": `${link.sender}-${link.receiver}` });
    group.append(svg("title", {}, describe(link)));
    group.append(svg("line", {
      x1: from.x + ux * NODE_RADIUS + nx * 5, y1: from.y + uy * NODE_RADIUS + ny * 5,
      x2: to.x - ux * (NODE_RADIUS + 2) + nx * 5, y2: to.y - uy * (NODE_RADIUS + 2) + ny * 5,
      "stroke-width": 1.5 + Math.min(5, Math.log2(total + 1)), "marker-end": "url(#arrow)",
    }));
    const label = svg("text", { class: "count", "data-link": `${link.sender}-${link.receiver}`,
      "data-from": `${from.x},${from.y}`, "data-way": `${dx},${dy},${nx},${ny}` });
    GROUPS.filter((g) => link[g] > 0).forEach((name, i) => {
      label.append(svg("tspan", { class: `count-${name}` }, `${i ? " " : ""}${SYMBOLS[name]}${link[name]}`));
    });
    label.append(svg("title", {}, describe(link)));
    return { arrow: group, label };
  }

  /** Every arrow, then every label: no arrow drawn later hides a label. */
  function drawLinks(links) {
    const at = nodes();
    const drawn = links.map((link) => drawLink(link, at)).filter(Boolean);
    return [...drawn.map((d) => d.arrow), ...drawn.map((d) => d.label)];
  }

  const padded = (element) => {
    const b = element.getBBox();
    return { x: b.x - LABEL_GAP, y: b.y - LABEL_GAP, w: b.width + 2 * LABEL_GAP, h: b.height + 2 * LABEL_GAP };
  };
  const overlap = (a, b) => Math.max(0, Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x))
    * Math.max(0, Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y));

  /** Whether the segment passes through the box (Liang–Barsky clipping). */
  function crosses(box, [x1, y1, x2, y2]) {
    let [enter, leave] = [0, 1];
    const [dx, dy] = [x2 - x1, y2 - y1];
    for (const [p, q] of [[-dx, x1 - box.x], [dx, box.x + box.w - x1], [-dy, y1 - box.y], [dy, box.y + box.h - y1]]) {
      if (p === 0) {
        if (q < 0) return false;
      } else if (p < 0) {
        enter = Math.max(enter, q / p);
      } else {
        leave = Math.min(leave, q / p);
      }
      if (enter > leave) return false;
    }
    return true;
  }

  /** Put every count label where it covers no country, no country name and no other label,
   * and where it can, on no arrow either: the first such spot of ALONG x ASIDE, measured in the
   * browser; where none is free (a crowded map), the spot that covers least. */
  function placeLabels() {
    const size = map.viewBox.baseVal.width;
    const taken = [...map.querySelectorAll(".node .mark, .node text.name")].map(padded);
    const arrows = [...map.querySelectorAll("#map-links line")].map((line) => ["x1", "y1", "x2", "y2"]
      .map((name) => Number(line.getAttribute(name))));
    for (const label of map.querySelectorAll("text.count")) {
      const [fx, fy] = label.dataset.from.split(",").map(Number);
      const [dx, dy, nx, ny] = label.dataset.way.split(",").map(Number);
      label.setAttribute("x", "0");
      label.setAttribute("y", "0");
      const shape = padded(label); // the box moves with the text: measured once, then shifted
      let best = null;
      for (const aside of ASIDE) {
        for (const along of ALONG) {
          const [x, y] = [fx + dx * along + nx * aside, fy + dy * along + ny * aside + 4.5]; // middle on the spot
          const box = { ...shape, x: shape.x + x, y: shape.y + y };
          const outside = box.x < 0 || box.y < 0 || box.x + box.w > size || box.y + box.h > size;
          const covered = taken.reduce((sum, other) => sum + overlap(box, other), 0);
          const cost = (outside ? 1e6 : 0) + (covered ? 1000 + covered : 0)
            + 100 * arrows.filter((arrow) => crosses(box, arrow)).length;
          if (best === null || cost < best.cost) best = { cost, x, y, box };
          if (cost === 0) break;
        }
        if (best.cost === 0) break;
      }
      label.setAttribute("x", best.x.toFixed(1));
      label.setAttribute("y", best.y.toFixed(1));
      taken.push(best.box);
    }
  }

  /** Each country's marking: idle without messages, suspended (dashed, with a pause mark and the
   * word in its name) while the operator holds deliveries to it back. */
  function markNodes(links, suspended) {
    const active = new Set(links.flatMap((link) => [link.sender, link.receiver]));
    const held = Object.fromEntries(suspended.map((s) => [s.country, s]));
    for (const node of map.querySelectorAll(".node")) {
      const country = node.dataset.country;
      const suspension = held[country];
      node.classList.toggle("idle", !active.has(country));
      node.classList.toggle("suspended", Boolean(suspension));
      node.querySelector("text.name").textContent = suspension
        ? `${node.dataset.name} (suspended)` : node.dataset.name;
      node.querySelector("title").textContent = suspension
        ? `${node.dataset.name}: deliveries suspended by the operator since ${time(suspension.since)}`
        : node.dataset.name;
    }
  }

  function suspensionNotice(suspended) {
    return suspended.map((s) => el("p", { "data-suspended": s.country },
      el("strong", {}, `${s.country} ${s.name}: deliveries suspended`), ` by the operator since `, when(s.since),
      s.note ? ` (${s.note})` : "", `. Messages to ${s.country} wait without spending attempts until it is resumed`,
      operator ? el("span", {}, ": ", el("code", {}, `POST /participants/${s.country}/resume`), ".") : "."));
  }

  function linkRow(link, held) {
    const suspension = held[link.receiver];
    return el("tr", { "data-link": `${link.sender}-${link.receiver}`, class: suspension ? "held" : null },
      el("th", { scope: "row" }, `${link.sender} → ${link.receiver}`, suspension
        ? el("span", { class: "badge state-suspended", title: heldText(link.receiver, suspension) },
          `${link.receiver} suspended`) : null),
      ...GROUPS.map((g) => el("td", { class: `num count-${link[g] ? g : "none"}`, "data-group": g }, link[g])));
  }

  async function refreshLinks() {
    const data = await api("/dashboard/api/links");
    const held = Object.fromEntries(data.suspended.map((s) => [s.country, s]));
    markNodes(data.links, data.suspended);
    const notice = $("suspensions");
    notice.hidden = data.suspended.length === 0;
    renderIf(notice, [data.suspended, operator], () => suspensionNotice(data.suspended));
    // the names of suspended countries are longer: the labels are placed again when they change
    if (renderIf($("map-links"), [data.links, data.suspended], () => drawLinks(data.links))) placeLabels();
    renderIf(document.querySelector("#links-table tbody"), [data.links, data.suspended], () => (data.links.length
      ? data.links.map((link) => linkRow(link, held)) : el("tr", {}, el("td", { colspan: 4 }, "No messages yet."))));
    for (const group of GROUPS) document.querySelector(`[data-total="${group}"]`).textContent = data.totals[group];
  }

  function stateCell(m) {
    const cell = el("td", { "data-label": "State" }, badge(m.state));
    if (m.receiver_suspended) cell.append(el("span", { class: "held-note" }, heldText(m.receiver, m.receiver_suspended)));
    return cell;
  }

  function messageRow(m) {
    const link = el("a", { href: messageHref(m.message_id, m.sender), title: m.message_id },
      `${m.message_id.slice(0, 8)}…`);
    return el("tr", { "data-message-id": m.message_id, class: m.receiver_suspended ? "held" : null },
      el("td", { class: "when", "data-label": "Received" }, when(m.received_at)),
      el("td", { class: "mono", "data-label": "Message" }, link),
      el("td", { "data-label": "Link" }, `${m.sender} → ${m.receiver}`),
      el("td", { "data-label": "Type" }, m.document_type), stateCell(m),
      el("td", { class: "num", "data-label": "Attempts" }, m.attempts));
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

  start((who) => {
    operator = who.operator;
    poll(refresh);
  });
})();
