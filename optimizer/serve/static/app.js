// xborder page: a quote form with its options table and route map, and a plan viewer.
// Plain JavaScript, no libraries; the basemap is the package's Natural Earth file, drawn as
// SVG in an equirectangular projection fitted to what is shown.
"use strict";

const MODE_COLORS = {
  sea_fcl: "#1f4e99", sea_lcl: "#3b82c4", air: "#d1242f", express: "#8250df",
  postal: "#e16f24", rail: "#7d4e24", truck: "#57606a", last_mile: "#1a7f37",
};
const MAP_W = 720, MAP_H = 420, NS = "http://www.w3.org/2000/svg";
const $ = (sel) => document.querySelector(sel);
let catalog = null, basemap = null, nodesById = {}, lastQuote = null;

// ------------------------------------------------------------------ HTTP
function headers(extra) {
  const h = Object.assign({}, extra || {});
  const key = $("#api-key").value.trim();
  if (key) h["X-API-Key"] = key;
  return h;
}

async function api(path, options) {
  const opts = Object.assign({}, options || {});
  opts.headers = headers(opts.headers);
  const response = await fetch(path, opts);
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.text();
  return { ok: response.ok, status: response.status, body };
}

function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({
    "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
  })[c]);
}

const money = (x) => x == null ? "" : Number(x).toLocaleString("en-US",
  { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const days = (x) => x == null ? "" : Number(x).toFixed(1);

// ------------------------------------------------------------------ start
async function start() {
  $("#api-key").value = sessionStorage.getItem("xborder-api-key") || "";
  $("#api-key").addEventListener("change", () => {
    sessionStorage.setItem("xborder-api-key", $("#api-key").value.trim());
    loadCatalog();
  });
  document.querySelectorAll(".tab").forEach((b) => b.addEventListener("click", () => showTab(b.dataset.tab)));
  $("#quote-form").addEventListener("submit", (e) => { e.preventDefault(); getQuote(); });
  $("#plan-form").addEventListener("submit", (e) => { e.preventDefault(); submitPlan(); });
  $("#jobs-refresh").addEventListener("click", listJobs);
  $("#f-date").value = new Date().toISOString().slice(0, 10);
  $("#scenario").value = SAMPLE_SCENARIO;
  const map = await fetch("/assets/basemap.geojson");
  basemap = await map.json();
  drawMap($("#quote-map"), [], []);
  await loadCatalog();
}

async function loadCatalog() {
  const [cat, summary] = await Promise.all([api("/v1/network/catalog"), api("/v1/network")]);
  if (!cat.ok) { showErrors($("#quote-errors"), cat.body); return; }
  $("#quote-errors").hidden = true;
  catalog = cat.body;
  nodesById = Object.fromEntries(catalog.nodes.map((n) => [n.id, n]));
  if (summary.ok) {
    $("#network-name").textContent = `network ${summary.body.name}: ${summary.body.nodes} nodes, ${summary.body.lanes} lanes`;
  }
  const origins = catalog.nodes.filter((n) => n.kind !== "market")
    .sort((a, b) => (a.kind === "origin_warehouse" ? 0 : 1) - (b.kind === "origin_warehouse" ? 0 : 1) || a.id.localeCompare(b.id));
  fill($("#f-from"), origins.map((n) => [n.id, `${n.id} — ${n.name}`]), "CN_SZX_ORIGIN");
  const markets = catalog.nodes.filter((n) => n.kind === "market");
  fill($("#f-to"), markets.map((n) => [n.id, `${n.id} — ${n.name}`]), "M_US_WEST");
  fill($("#f-currency"), catalog.currencies.map((c) => [c, c]), "USD");
  fill($("#f-category"), [["", "(or give an HS code)"],
    ...catalog.categories.map((c) => [c.id, `${c.id} (HS ${c.hs_chapter})`])], "apparel");
  listJobs();
}

function fill(select, pairs, preferred) {
  const keep = select.value || preferred;
  select.innerHTML = pairs.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join("");
  if (pairs.some(([v]) => v === keep)) select.value = keep;
}

function showTab(name) {
  document.querySelectorAll(".tab").forEach((b) => b.classList.toggle("active", b.dataset.tab === name));
  document.querySelectorAll(".tab-body").forEach((s) => { s.hidden = s.id !== `tab-${name}`; });
  if (name === "plans") listJobs();
}

// ------------------------------------------------------------------ errors
function showErrors(box, problem) {
  const items = (problem && problem.errors) || [];
  const lines = items.length ? items.map((e) => `<li>${esc(e.detail)}</li>`).join("")
    : `<li>${esc((problem && (problem.detail || problem.title)) || problem)}</li>`;
  box.innerHTML = `<strong>${esc((problem && problem.title) || "Error")}</strong><ul>${lines}</ul>`;
  box.hidden = false;
}

const FIELD_INPUTS = {
  from: "#f-from", to: "#f-to", weight: "#f-weight", dims: "#f-dims", pieces: "#f-pieces",
  value: "#f-value", currency: "#f-currency", category: "#f-category", hs_code: "#f-hs",
  incoterm: "#f-incoterm", ship_date: "#f-date",
};

// ------------------------------------------------------------------ quotes
function quoteBody() {
  const body = {
    from: $("#f-from").value, to: $("#f-to").value, weight: Number($("#f-weight").value),
    dims: $("#f-dims").value.trim(), pieces: Number($("#f-pieces").value || 1),
    incoterm: $("#f-incoterm").value,
  };
  if ($("#f-value").value !== "") body.value = Number($("#f-value").value);  // else: "is required"
  body.currency = $("#f-currency").value;
  const hs = $("#f-hs").value.trim();
  if (hs) body.hs_code = hs;  // priced at this code; the category may be left to its chapter
  if ($("#f-category").value) body.category = $("#f-category").value;
  if ($("#f-date").value) body.ship_date = $("#f-date").value;
  return body;
}

async function getQuote() {
  document.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
  $("#quote-errors").hidden = true;
  $("#quote-summary").textContent = "quoting …";
  const res = await api("/v1/quotes", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(quoteBody()),
  });
  $("#quote-summary").textContent = "";
  if (!res.ok) {
    showErrors($("#quote-errors"), res.body);
    for (const e of (res.body && res.body.errors) || []) {
      const sel = FIELD_INPUTS[e.field];
      if (sel) $(sel).classList.add("invalid");
    }
    $("#options").hidden = true;
    return;
  }
  lastQuote = res.body;
  renderQuote(res.body);
}

function renderQuote(q) {
  const s = q.shipment;
  $("#quote-summary").textContent = `${s.from} → ${s.to}: ${s.pieces} piece(s), ${s.weight_kg} kg, ` +
    `${Number(s.volume_m3).toFixed(4)} m³, value ${money(s.value_usd)} USD, ${s.category}` +
    (s.hs_code ? ` HS ${s.hs_code} (duty priced at it)` : "") + `, ${s.incoterm}, ` +
    `ship ${s.ship_date} — ${q.options.length} option(s)`;
  const rows = q.options.map((o, i) => {
    const tags = [...(o.tags || []), ...(o.pareto ? ["PARETO"] : [])]
      .map((t) => `<span class="tag ${esc(t)}">${esc(t)}</span>`).join("");
    const modes = o.legs.map((l) => l.mode).join(" + ");
    const carriers = [...new Set(o.legs.map((l) => l.carrier))].join(" + ");
    const charges = [["freight", o.freight_usd], ["fuel", o.fuel_usd], ["handling", o.handling_usd],
      ["brokerage", o.brokerage_usd], ["duty", o.duty_usd], ["tax", o.tax_usd], ["stock", o.stock_usd]]
      .filter(([, v]) => v).map(([k, v]) => `${k} ${money(v)}`).join(" + ");
    const legs = o.legs.map((l) => `${esc(l.lane)} (${esc(l.mode)}, ${esc(l.role)}, ${Number(l.chargeable_kg).toFixed(2)} kg ${esc(l.rule)})`).join(" → ");
    const bulk = o.bulk_p90_days != null ? ` · bulk leg P50 ${days(o.bulk_p50_days)} d, P90 ${days(o.bulk_p90_days)} d` : "";
    return `<tr class="option" data-index="${i}">
        <td>${i + 1}</td><td>${esc(o.pattern)}${o.group ? `<br><small class="muted">${esc(o.group)}</small>` : ""}</td><td>${esc(modes)}</td><td>${esc(carriers)}</td>
        <td>${tags}</td><td class="num">${money(o.landed_usd)}</td><td class="num">${days(o.p50_days)}</td>
        <td class="num">${days(o.p90_days)}</td><td class="num">${Number(o.co2e_kg).toFixed(2)}</td></tr>
      <tr class="charges"><td></td><td colspan="8">${esc(charges)}<br>${legs}${bulk}<br>customs: ${esc(o.treatment)}</td></tr>`;
  });
  $("#options tbody").innerHTML = rows.join("");
  $("#options").hidden = q.options.length === 0;
  $("#rejections").innerHTML = q.rejections.length
    ? "<h3>Not offered</h3><ul>" + q.rejections.map((r) => `<li>${esc(r.pattern)}: ${esc(r.reason)}${r.routes ? ` (${r.routes} routes)` : ""}</li>`).join("") + "</ul>"
    : "";
  document.querySelectorAll("tr.option").forEach((tr) => tr.addEventListener("click", () => chooseOption(Number(tr.dataset.index))));
  if (q.options.length) chooseOption(0); else drawMap($("#quote-map"), [], []);
}

async function chooseOption(i) {
  document.querySelectorAll("tr.option").forEach((tr) => tr.classList.toggle("chosen", Number(tr.dataset.index) === i));
  const o = lastQuote.options[i];
  const lanes = await laneShapes(o.legs.map((l) => l.lane));
  const ids = [o.legs[0].origin, ...o.legs.map((l) => l.dest)];
  drawMap($("#quote-map"), lanes, ids);
  $("#quote-map-caption").innerHTML = `Option ${i + 1}: ${esc(o.pattern)}, ${money(o.landed_usd)} USD, P90 ${days(o.p90_days)} d ` +
    legend(o.legs.map((l) => l.mode));
}

async function laneShapes(ids) {
  const unique = [...new Set(ids)], features = [];
  for (let k = 0; k < unique.length; k += 30) {
    const query = unique.slice(k, k + 30).map((id) => "id=" + encodeURIComponent(id)).join("&");
    const res = await api("/v1/network/lanes?" + query);
    if (res.ok) features.push(...res.body.features);
  }
  return features;
}

function legend(modes) {
  return `<span class="legend">` + [...new Set(modes)].map((m) =>
    `<span><i style="background:${MODE_COLORS[m] || "#444"}"></i>${esc(m)}</span>`).join("") + "</span>";
}

// ------------------------------------------------------------------ map
// Equirectangular: x grows with longitude, y with -latitude; the frame fits the lanes
// (longitudes of lanes are unwrapped, so land is drawn at -360, 0 and +360 as needed).
function drawMap(svg, lanes, nodeIds, chain = true) {
  lanes = unwrapLanes(lanes, chain);
  const pts = [];
  lanes.forEach((f) => f.geometry.coordinates.forEach((c) => pts.push(c)));
  nodeIds.forEach((id) => { const n = nodesById[id]; if (n && !lanes.length) pts.push([n.lon, n.lat]); });
  let [x0, x1, y0, y1] = [-170, 190, -58, 80];
  if (pts.length) {
    x0 = Math.min(...pts.map((p) => p[0])); x1 = Math.max(...pts.map((p) => p[0]));
    y0 = Math.min(...pts.map((p) => p[1])); y1 = Math.max(...pts.map((p) => p[1]));
    const padX = Math.max(8, (x1 - x0) * 0.12), padY = Math.max(6, (y1 - y0) * 0.15);
    x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;
  }
  // keep the aspect ratio of the box
  const k = Math.min(MAP_W / (x1 - x0), MAP_H / (y1 - y0));
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const px = (lon) => MAP_W / 2 + (lon - cx) * k;
  const py = (lat) => MAP_H / 2 - (lat - cy) * k;
  const left = cx - MAP_W / 2 / k, right = cx + MAP_W / 2 / k;
  svg.setAttribute("viewBox", `0 0 ${MAP_W} ${MAP_H}`);
  svg.innerHTML = "";
  const land = document.createElementNS(NS, "g");
  for (const shift of [-360, 0, 360]) {
    if (right < -180 + shift || left > 180 + shift) continue;
    for (const f of basemap ? basemap.features : []) {
      const g = f.geometry;
      if (!g) continue;
      const polys = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      let d = "";
      for (const poly of polys) for (const ring of poly) {
        d += "M" + ring.map((c) => `${px(c[0] + shift).toFixed(1)},${py(c[1]).toFixed(1)}`).join("L") + "Z";
      }
      if (!d) continue;
      const path = document.createElementNS(NS, "path");
      path.setAttribute("d", d); path.setAttribute("class", "land");
      land.appendChild(path);
    }
  }
  svg.appendChild(land);
  for (const f of lanes) {
    const path = document.createElementNS(NS, "path");
    const cs = f.geometry.coordinates;
    path.setAttribute("d", "M" + cs.map((c) => `${px(c[0]).toFixed(1)},${py(c[1]).toFixed(1)}`).join("L"));
    path.setAttribute("class", "lane");
    path.setAttribute("stroke", MODE_COLORS[f.properties.mode] || "#444");
    path.dataset.lane = f.properties.lane;
    const title = document.createElementNS(NS, "title");
    title.textContent = `${f.properties.lane} (${f.properties.mode})`;
    path.appendChild(title);
    svg.appendChild(path);
  }
  // nodes at the lane ends (their unwrapped longitude), labelled with their id
  const ends = {};
  for (const f of lanes) {
    const cs = f.geometry.coordinates;
    ends[f.properties.origin] = ends[f.properties.origin] || cs[0];
    ends[f.properties.dest] = ends[f.properties.dest] || cs[cs.length - 1];
  }
  const labelled = [];
  nodeIds.forEach((id, i) => {
    const at = ends[id] || (nodesById[id] && [nodesById[id].lon, nodesById[id].lat]);
    if (!at) return;
    const x = px(at[0]), y = py(at[1]);
    const c = document.createElementNS(NS, "circle");
    c.setAttribute("cx", px(at[0])); c.setAttribute("cy", py(at[1])); c.setAttribute("r", 5);
    c.setAttribute("class", "node");
    const kind = nodesById[id] && nodesById[id].kind;
    c.setAttribute("fill", kind === "origin_warehouse" ? "#1a7f37" : kind === "market" ? "#d1242f" : "#1d2733");
    svg.appendChild(c);
    // label a node unless one labelled nearby already names the spot
    const near = labelled.find(([lx, ly]) => Math.abs(lx - x) < 60 && Math.abs(ly - y) < 14);
    if (near) { near[2].textContent += " · " + id; return; }
    const t = document.createElementNS(NS, "text");
    const right = x > MAP_W - 140;
    t.setAttribute("x", right ? x - 7 : x + 7); t.setAttribute("y", y - 7);
    t.setAttribute("text-anchor", right ? "end" : "start");
    t.textContent = id;
    svg.appendChild(t);
    labelled.push([x, y, t]);
  });
}

// Each lane's longitudes are continuous, but lanes differ in where they wrap (a sea lane
// may end at 286°, the truck after it start at -74°): shift each lane by whole turns so it
// starts near where the previous one ended (a route) or near the first lane (a plan).
function unwrapLanes(lanes, chain) {
  let ref = null;
  return lanes.map((f) => {
    const cs = f.geometry.coordinates;
    let shift = 0;
    if (ref !== null) shift = 360 * Math.round((ref - cs[0][0]) / 360);
    const moved = cs.map((c) => [c[0] + shift, c[1]]);
    if (chain || ref === null) ref = chain ? moved[moved.length - 1][0] : moved[0][0];
    return { type: "Feature", properties: f.properties, geometry: { type: "LineString", coordinates: moved } };
  });
}

// ------------------------------------------------------------------ plans
async function submitPlan() {
  $("#plan-errors").hidden = true;
  const text = $("#scenario").value;
  const type = text.trim().startsWith("{") ? "application/json" : "application/yaml";
  const res = await api("/v1/plans", { method: "POST", headers: { "Content-Type": type }, body: text });
  if (!res.ok) { showErrors($("#plan-errors"), res.body); return; }
  await listJobs();
  pollJob(res.body.id);
}

async function pollJob(id) {
  for (let i = 0; i < 600; i++) {
    const res = await api(`/v1/plans/${id}`);
    if (!res.ok) return;
    if (res.body.status !== "queued" && res.body.status !== "running") {
      await listJobs();
      if (res.body.status === "finished") viewPlan(res.body);
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function listJobs() {
  const res = await api("/v1/plans?limit=20");
  if (!res.ok) return;
  $("#jobs tbody").innerHTML = res.body.jobs.map((j) => `<tr>
      <td>${esc(j.submitted_at.replace("T", " ").slice(0, 19))}</td><td>${esc(j.scenario)}</td>
      <td class="status-${esc(j.status)}">${esc(j.status)}${j.message ? " — " + esc(j.message) : ""}</td>
      <td>${j.status === "finished" ? `<button type="button" class="small view" data-id="${esc(j.id)}">view</button>` : ""}</td></tr>`).join("");
  document.querySelectorAll("button.view").forEach((b) => b.addEventListener("click", async () => {
    const res = await api(`/v1/plans/${b.dataset.id}`);
    if (res.ok) viewPlan(res.body);
  }));
}

async function viewPlan(job) {
  const p = job.plan;
  $("#plan-view").hidden = false;
  $("#plan-title").textContent = `${p.scenario} — ${p.status}`;
  const t = p.totals;
  $("#plan-totals").innerHTML = t
    ? `<p>Weekly cost <strong>${money(t.cost)} ${esc(p.currency)}</strong> for ${t.orders} orders ` +
      `(${money(t.cost_per_order)} per order; freight ${money(t.freight)}, handling ${money(t.handling)}, ` +
      `duties and taxes ${money(t.duties_taxes)}, inventory ${money(t.inventory)}); ` +
      `${Number(t.co2e_kg).toFixed(0)} kg CO2e; unmet orders ${t.unmet_orders}.</p>`
    : `<p>No plan: solver status ${esc(p.status)}.</p>`;
  const rows = [];
  for (const d of p.demands) {
    for (const a of d.allocations) {
      rows.push(`<tr><td>${esc(d.id)}</td><td>${esc(a.pattern)}</td><td class="num">${(100 * a.share).toFixed(0)} %</td>
        <td>${esc(a.modes.join(" + "))}</td><td class="num">${days(a.lead_time_days.p90)}</td>
        <td class="num">${money(a.cost_per_order.total)}</td></tr>`);
    }
    if (d.unmet_orders > 0) rows.push(`<tr><td>${esc(d.id)}</td><td colspan="5">unmet: ${esc(d.reasons.join("; "))}</td></tr>`);
  }
  $("#plan-allocations tbody").innerHTML = rows.join("");
  const lanes = await laneShapes(p.lanes.map((u) => u.lane));
  const ids = [...new Set(lanes.flatMap((f) => [f.properties.origin, f.properties.dest]))];
  drawMap($("#plan-map"), lanes, ids.filter((id) => nodesById[id] && ["origin_warehouse", "market"].includes(nodesById[id].kind)), false);
}

const SAMPLE_SCENARIO = `# Planned on the served network: no "network:" line, demands inline.
version: 1
name: two US demands from Shenzhen
plan_date: 2026-03-01
currency: USD
demands:
  - {id: SZX-USW-apparel, origin: CN_SZX_ORIGIN, market: M_US_WEST, category: apparel,
     orders_per_week: 6000, weight_kg: 0.5, length_cm: 30, width_cm: 20, height_cm: 5,
     value: 28, sla_days: 12}
  - {id: SZX-USE-electronics, origin: CN_SZX_ORIGIN, market: M_US_EAST, category: electronics,
     orders_per_week: 1500, weight_kg: 1.2, length_cm: 25, width_cm: 20, height_cm: 10,
     value: 85, sla_days: 10}
solver:
  time_limit_s: 30
  seed: 0
`;

start();
