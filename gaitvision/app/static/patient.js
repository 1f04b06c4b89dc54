"use strict";
(() => {
  const root = document.getElementById("patient");
  const pid = root.dataset.patient;
  const SVGNS = "http://www.w3.org/2000/svg";
  const COLORS = { left: "#2878ff", right: "#ff8c00", both: "#444" };

  document.getElementById("edit-patient").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = document.getElementById("patient-error");
    err.textContent = "";
    try {
      const p = await GV.api("PATCH", "/api/patients/" + pid, GV.formData(ev.target));
      document.getElementById("patient-title").textContent = p.name;
    } catch (e) { err.textContent = e.message; }
  });
  document.getElementById("delete-patient").addEventListener("click", async () => {
    if (!confirm("Delete this patient, every visit and every clip and analysis file? This cannot be undone.")) return;
    try { await GV.api("DELETE", "/api/patients/" + pid); location.href = "/"; }
    catch (e) { document.getElementById("patient-error").textContent = e.message; }
  });
  document.getElementById("new-visit").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = document.getElementById("visit-error");
    err.textContent = "";
    try {
      const r = await GV.api("POST", "/api/patients/" + pid + "/visits", GV.formData(ev.target));
      location.href = "/visits/" + r.visit_id;
    } catch (e) { err.textContent = e.message; }
  });

  function svg(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }

  function plot(entry, visits) {
    const W = 560, H = 200, L = 50, R = 15, T = 15, B = 35;
    const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "trend", role: "img" });
    const series = ["left", "right", "both"].filter((k) => entry[k].length);
    const vals = [];
    for (const k of series) for (const p of entry[k]) { vals.push(p.median); if (Array.isArray(p.ci95)) vals.push(...p.ci95); }
    let lo = Math.min(...vals), hi = Math.max(...vals);
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const pad = 0.08 * (hi - lo); lo -= pad; hi += pad;
    const idx = new Map(visits.map((v, i) => [v.id, i]));
    const x = (vid) => L + (visits.length > 1 ? (idx.get(vid) / (visits.length - 1)) : 0.5) * (W - L - R);
    const y = (v) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    s.append(svg("line", { x1: L, y1: H - B, x2: W - R, y2: H - B, stroke: "#999" }));
    for (const v of [lo + pad, hi - pad]) {
      const t = svg("text", { x: L - 5, y: y(v) + 4, "text-anchor": "end", class: "axis" });
      t.textContent = GV.fmt(v, entry.decimals); s.append(t);
    }
    for (const v of visits) {
      const t = svg("text", { x: x(v.id), y: H - B + 16, "text-anchor": "middle", class: "axis" });
      t.textContent = v.date; s.append(t);
    }
    const real = new Set((entry.changes || []).filter((c) => c.verdict === "real change")
      .map((c) => c.to_visit + ":" + c.side));
    for (const k of series) {
      const pts = entry[k];
      const off = k === "left" ? -4 : k === "right" ? 4 : 0;
      s.append(svg("polyline", { points: pts.map((p) => `${x(p.visit_id) + off},${y(p.median)}`).join(" "),
        fill: "none", stroke: COLORS[k], "stroke-width": 2 }));
      for (const p of pts) {
        const cx = x(p.visit_id) + off;
        if (Array.isArray(p.ci95)) s.append(svg("line", { x1: cx, x2: cx, y1: y(p.ci95[0]), y2: y(p.ci95[1]), stroke: COLORS[k], "stroke-width": 1.5 }));
        const dot = svg("circle", { cx, cy: y(p.median), r: 4, fill: COLORS[k], "data-side": k, "data-visit": p.visit_id });
        s.append(dot);
        if (real.has(p.visit_id + ":" + k)) s.append(svg("circle", { cx, cy: y(p.median), r: 8, fill: "none", stroke: "#c00", "stroke-width": 2, class: "real-change" }));
      }
    }
    return s;
  }

  function changeText(entry) {
    return (entry.changes || []).map((c) =>
      `${c.side}: ${GV.fmt(c.change, entry.decimals)} (${c.verdict}${c.sdd ? ", SDD " + c.sdd : ""})`).join("; ");
  }

  async function loadTrends() {
    const box = document.getElementById("trends");
    try {
      const t = await GV.api("GET", "/api/patients/" + pid + "/trends");
      box.textContent = "";
      if (!t.visits.length) { box.append(GV.el("p", { class: "muted" }, "No analysed visits yet.")); return; }
      for (const [key, entry] of Object.entries(t.metrics)) {
        const fig = GV.el("figure", { class: "trend-fig", dataset: { metric: key } },
          GV.el("figcaption", {}, entry.label + (entry.unit ? " (" + entry.unit + ")" : ""),
            GV.el("span", { class: "legend" }, " left ", GV.el("b", { class: "l" }, "●"), " right ", GV.el("b", { class: "r" }, "●"))));
        fig.append(plot(entry, t.visits));
        const txt = changeText(entry);
        if (txt) fig.append(GV.el("p", { class: "muted changes" }, txt));
        box.append(fig);
      }
    } catch (e) { box.textContent = e.message; }
  }
  loadTrends();
})();
