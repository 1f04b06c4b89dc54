"use strict";
/* The review: the clip in a <video>, the overlay drawn in a <canvas> over it from the saved landmark
   track (the shared GVOverlay of /static/shared/overlay.js, the same drawing as report.html: frame-exact,
   the video's time mapped to a frame with the track's own per-frame times), the step table (a click seeks
   to the step's contact frame), the per-side summary and the corrections. */
const GVReview = (() => {
  const PARTS = GVOverlay.PARTS;
  const BOOKKEEPING = new Set(["step", "side", "ic_time_s", "ic_frame", "to_time_s", "to_frame", "confidence",
    "midstance_frame", "foot_strike_pattern", "framing_note", "excluded_reason", "low_confidence_reason", "ic_estimated"]);
  const state = { visit: null, doc: null, clipId: null, overlay: null, frame: -1, drawn: 0, offset: 0,
    calibrated: false, drag: null, editing: false, video: null, canvas: null,
    // the landmark being dragged is drawn where the pointer is
    point: (name, f) => (state.drag && state.drag.name === name && state.drag.frame === f ? [state.drag.x, state.drag.y] : null),
    afterDraw: (f) => {
      const info = document.getElementById("frame-info");
      if (info) info.textContent = "frame " + f + " / " + (state.overlay.t.length - 1) + " · " + state.overlay.t[f].toFixed(3) + " s";
      document.querySelectorAll("#steps tbody tr").forEach((tr) => tr.classList.toggle("current", Number(tr.dataset.ic) === f));
    } };

  // -- frames, times and drawing: GVOverlay on this page's state -------------------------------------------
  const frameAt = (time) => GVOverlay.frameAt(state, time);
  const timeOf = (i) => GVOverlay.timeOf(state, i);
  const seekFrame = (i) => GVOverlay.seekFrame(state, i);
  const draw = (f) => GVOverlay.draw(state, f);
  const pt = (name, f) => GVOverlay.point(state, name, f);

  // -- landmark drag ----------------------------------------------------------------------------------------
  function framePos(ev) {
    const r = state.canvas.getBoundingClientRect();
    return [(ev.clientX - r.left) / r.width * state.canvas.width, (ev.clientY - r.top) / r.height * state.canvas.height];
  }
  function measuredFrames() { return new Set(state.overlay.steps.map((s) => s.frame).filter((f) => f !== null)); }
  function startDrag(ev) {
    if (!state.editing) return;
    const msg = document.getElementById("edit-msg");
    if (!measuredFrames().has(state.frame)) { msg.textContent = "Go to a step's measured frame first (click its row in the table)."; return; }
    const [x, y] = framePos(ev);
    let best = null, bestD = 0.04 * state.canvas.width;
    for (const side of ["left", "right"]) for (const p of PARTS) {
      const q = pt(side + "_" + p, state.frame);
      if (!q) continue;
      const d = Math.hypot(q[0] - x, q[1] - y);
      if (d < bestD) { best = side + "_" + p; bestD = d; }
    }
    if (!best) { msg.textContent = "No point near there; press on a hip, knee, ankle, heel or toe point."; return; }
    state.drag = { name: best, frame: state.frame, x, y };
    msg.textContent = "Moving " + best.replace("_", " ") + "…";
    ev.preventDefault();
  }
  function moveDrag(ev) {
    if (!state.drag) return;
    [state.drag.x, state.drag.y] = framePos(ev);
    draw(state.drag.frame);
  }
  async function endDrag() {
    if (!state.drag) return;
    const d = state.drag;
    state.drag = null;
    await correct({ type: "move_landmark", frame: d.frame, landmark: d.name, x: Math.round(d.x * 10) / 10, y: Math.round(d.y * 10) / 10 });
  }

  // -- corrections ---------------------------------------------------------------------------------------------
  async function correct(body) {
    const err = document.getElementById("review-error");
    err.textContent = "";
    try {
      const doc = await GV.api("POST", "/api/visits/" + state.visit + "/corrections", { clip_id: state.clipId, ...body });
      await show(doc, true);
    } catch (e) { err.textContent = e.message; if (state.overlay) draw(state.frame); }
  }
  async function undo(id) {
    const err = document.getElementById("review-error");
    try { await show(await GV.api("DELETE", "/api/visits/" + state.visit + "/corrections/" + id), true); }
    catch (e) { err.textContent = e.message; }
  }

  // -- tables ----------------------------------------------------------------------------------------------------
  function nameOf(key) {
    const l = state.doc && state.doc.labels && state.doc.labels[key];
    return l ? l.label : key.replace(/_/g, " ");
  }
  const UNIT_TEXT = { deg: "°", s: "s", spm: "steps/min", pct_leg: "% leg length", pct_hip: "% hip width", ratio: "", "": "" };
  function unitOf(key, fallback) {
    const l = state.doc && state.doc.labels && state.doc.labels[key];
    const u = l ? (UNIT_TEXT[l.unit] !== undefined ? UNIT_TEXT[l.unit] : l.unit) : (fallback || "");
    return u ? " (" + u + ")" : "";
  }
  function metricColumns(result) {
    return result.columns.filter((c) => !BOOKKEEPING.has(c) && !c.endsWith("_frame") && !c.includes("_ci95_"));
  }
  function stepsTable(result) {
    const cols = metricColumns(result);
    const head = GV.el("tr", {}, GV.el("th", {}, "step"), GV.el("th", {}, "side"), GV.el("th", {}, "IC frame"), GV.el("th", {}, "TO frame"),
      cols.map((c) => GV.el("th", { title: c }, nameOf(c) + unitOf(c))), GV.el("th", {}, "confidence"), GV.el("th", {}, "excluded"), GV.el("th", { class: "no-print" }, ""));
    const body = result.steps.map((r) => {
      const excludedByPT = (r.excluded_reason || "").startsWith("excluded by PT");
      const actions = GV.el("td", { class: "no-print actions" },
        r.excluded_reason
          ? GV.el("button", { type: "button", class: "small include", onclick: (e) => { e.stopPropagation();
              const why = prompt("Why use step " + r.step + " again?", excludedByPT ? "excluded by mistake" : "");
              if (why !== null) correct({ type: "include_step", step: r.step, reason: why }); } }, "include")
          : GV.el("button", { type: "button", class: "small exclude", onclick: (e) => { e.stopPropagation();
              const why = prompt("Why exclude step " + r.step + "?", "");
              if (why !== null) correct({ type: "exclude_step", step: r.step, reason: why }); } }, "exclude"),
        GV.el("button", { type: "button", class: "small move-ic", title: "put this step's contact at the frame shown", onclick: (e) => { e.stopPropagation();
          correct({ type: "move_event", step: r.step, event: "ic", frame: state.frame }); } }, "IC here"),
        GV.el("button", { type: "button", class: "small move-to", title: "put this step's toe-off at the frame shown", onclick: (e) => { e.stopPropagation();
          correct({ type: "move_event", step: r.step, event: "to", frame: state.frame }); } }, "TO here"));
      return GV.el("tr", { class: (r.excluded_reason ? "excluded " : "") + r.side, dataset: { step: r.step, ic: r.ic_frame },
        onclick: () => seekFrame(r.ic_frame) },
        GV.el("td", {}, r.step), GV.el("td", {}, r.side), GV.el("td", {}, r.ic_frame), GV.el("td", {}, r.to_frame === null ? "—" : r.to_frame),
        cols.map((c) => GV.el("td", { dataset: { col: c } }, GV.fmt(r[c], GV.decimalsFor(c)),
          r[c + "_ci95_lo"] !== undefined && r[c + "_ci95_lo"] !== null ? GV.el("span", { class: "ci" }, " [" + GV.ci([r[c + "_ci95_lo"], r[c + "_ci95_hi"]], GV.decimalsFor(c)) + "]") : null)),
        GV.el("td", {}, r.confidence), GV.el("td", { class: "reason" }, r.excluded_reason || ""), actions);
    });
    return GV.el("table", { class: "list steps", id: "steps" }, GV.el("thead", {}, head), GV.el("tbody", {}, body));
  }
  function asymmetryCell(m, d) {
    const parts = [];
    if (typeof m.lr_difference === "number") parts.push(GV.fmt(m.lr_difference, d) + (m.lr_difference_ci95 ? " [" + GV.ci(m.lr_difference_ci95, d) + "]" : ""));
    if (typeof m.asymmetry_pct === "number") parts.push(GV.fmt(m.asymmetry_pct, 0) + " %" + (m.asymmetry_ci95 ? " [" + GV.ci(m.asymmetry_ci95, 0) + "]" : ""));
    return GV.el("td", { class: "ci", title: m.asymmetry_note || null }, parts.length ? parts.join(" · ") : "—");
  }
  function summaryTable(result, id) {
    const rows = [GV.el("tr", { dataset: { metric: "cadence_spm" } }, GV.el("td", {}, "cadence (steps/min)"),
      GV.el("td", { colspan: 2, class: "num", dataset: { metric: "cadence_spm", side: "both" } }, GV.fmt(result.cadence_spm, 1)),
      GV.el("td", { colspan: 3 }, ""))];
    for (const [key, m] of Object.entries(result.metrics)) {
      if (key === "foot_strike_pattern") continue;
      const d = GV.decimalsFor(key, m.unit);
      const why = m.not_measurable || {};
      const cell = (side) => {
        const s = m[side];
        return [GV.el("td", { class: "num", title: s ? (s.confidence_reason || null) : (why[side] || null), dataset: { metric: key, side } },
            s ? GV.fmt(s.median, d) : "—", s && s.confidence !== "high" ? GV.el("span", { class: "muted" }, " (" + s.confidence + ")") : null),
          GV.el("td", { class: "ci", dataset: { metric: key, side, what: "ci95" } }, s ? GV.ci(s.ci95, d) : "—")];
      };
      rows.push(GV.el("tr", { dataset: { metric: key } }, GV.el("td", { title: key }, nameOf(key) + unitOf(key, m.unit),
        m.from ? GV.el("span", { class: "muted" }, " · " + m.from + " clip") : null), cell("left"), cell("right"), asymmetryCell(m, d)));
    }
    const head = ["metric", "left median", "left 95 % interval", "right median", "right 95 % interval", "left − right [95 %] · asymmetry"];
    return GV.el("table", { class: "list summary", id: id || "summary-table" },
      GV.el("thead", {}, GV.el("tr", {}, head.map((h) => GV.el("th", {}, h)))), GV.el("tbody", {}, rows));
  }
  function describe(c) {
    const k = c.correction, a = c.automatic_value || {}, n = c.new_value || {};
    const xy = (v) => "(" + GV.fmt(v.x, 0) + ", " + GV.fmt(v.y, 0) + ")";
    if (c.type === "exclude_step") return "step " + k.step + " excluded" + (c.reason ? ": " + c.reason : "");
    if (c.type === "include_step") return "step " + k.step + " used again" + (c.reason ? ": " + c.reason : "") + (a.excluded_reason ? " (was: " + a.excluded_reason + ")" : "");
    if (c.type === "move_event") return "step " + k.step + " " + k.event.toUpperCase() + " moved: frame " + a.frame + " → " + n.frame;
    if (c.type === "move_landmark") return k.landmark.replace("_", " ") + " at frame " + k.frame + " moved: " + xy(a) + " → " + xy(n);
    return c.type + " " + JSON.stringify(k);
  }
  function correctionsList(result) {
    const list = result.corrections || [];
    if (!list.length) return GV.el("p", { class: "muted", id: "corrections" }, "No corrections; this is the automatic result.");
    return GV.el("ul", { id: "corrections" }, list.map((c) => GV.el("li", { class: c.undone ? "undone" : "", dataset: { correction: c.id } },
      "#" + c.id + " " + describe(c) + " · " + c.created_at.replace("T", " ") + (c.undone ? " — undone" : "") + " ",
      c.undone ? null : GV.el("button", { type: "button", class: "small undo", onclick: () => undo(c.id) }, "undo"))));
  }

  // -- page sections --------------------------------------------------------------------------------------------------
  function renderCombined(doc) {
    const box = document.getElementById("combined");
    box.textContent = "";
    if (!doc.combined) return;
    const c = doc.combined;
    const withCi = (v, band) => GV.fmt(v, 3) + (band ? " [" + GV.ci(band, 3) + "]" : "");
    const rows = c.checks.map((k) => GV.el("tr", { class: k.agree === false ? "warn" : "", dataset: { check: k.name } },
      GV.el("td", {}, k.name), GV.el("td", {}, withCi(k.side, k.side_ci95)), GV.el("td", {}, withCi(k.rear, k.rear_ci95)),
      GV.el("td", {}, k.basis), GV.el("td", { class: "agree" }, k.agree === null ? "—" : k.agree ? "yes" : "NO")));
    const head = GV.el("tr", {}, ["checked", "side clip", "rear clip", "by", "agree"].map((h) => GV.el("th", {}, h)));
    box.append(GV.el("h2", {}, "Side and rear together"),
      GV.el("p", { class: "muted" }, "Sagittal metrics from the side clip (" + c.views.side + "), frontal from the rear clip (" + c.views.rear + ")."),
      summaryTable(c, "combined-table"),
      GV.el("h3", {}, "Cross-checks: the rhythm both clips measure"),
      GV.el("table", { class: "list", id: "cross-checks" }, GV.el("thead", {}, head), GV.el("tbody", {}, rows)),
      c.warnings.filter((w) => w.startsWith("The side and rear")).map((w) => GV.el("p", { class: "warning" }, w)));
  }
  function renderFindings(doc) {
    const box = document.getElementById("findings-section");
    box.textContent = "";
    if (!doc.summary) return;
    box.append(GV.el("h2", {}, "Findings"), doc.findings.length
      ? GV.el("ol", { id: "findings" }, doc.findings.map((f) => GV.el("li", {}, GV.el("strong", {}, f.headline), " ", f.detail,
          f.low_confidence ? GV.el("em", {}, " (rough estimate)") : null)))
      : GV.el("p", { id: "findings", class: "muted" }, doc.no_finding));
  }
  function clipTabs(doc, results) {
    if (results.length < 2) return null;
    return GV.el("p", { class: "tabs" }, results.map((c) => GV.el("button", { type: "button", class: c.id === state.clipId ? "active" : "",
      dataset: { clipTab: c.id }, onclick: () => { state.clipId = c.id; show(doc, false); } }, c.slot + " clip")));
  }
  function player(clip) {
    const video = GV.el("video", { id: "video", src: "/api/clips/" + clip.id + "/video", preload: "auto", muted: true, playsinline: true });
    video.muted = true;
    const canvas = GV.el("canvas", { id: "overlay" });
    const speed = GV.el("select", { id: "speed", onchange: (e) => { video.playbackRate = Number(e.target.value); } },
      ["1", "0.5", "0.25", "0.1"].map((v) => GV.el("option", { value: v }, v + "×")));
    const controls = GV.el("div", { class: "controls" },
      GV.el("button", { type: "button", id: "prev-frame", title: "one frame back", onclick: () => seekFrame(state.frame - 1) }, "◀ frame"),
      GV.el("button", { type: "button", id: "play", onclick: () => { if (video.paused) video.play(); else video.pause(); } }, "play / pause"),
      GV.el("button", { type: "button", id: "next-frame", title: "one frame on", onclick: () => seekFrame(state.frame + 1) }, "frame ▶"),
      GV.el("label", {}, " speed ", speed),
      GV.el("label", {}, GV.el("input", { type: "checkbox", id: "edit-points", onchange: (e) => {
        state.editing = e.target.checked; canvas.classList.toggle("editing", state.editing); } }), " move points"),
      GV.el("span", { id: "frame-info", class: "muted" }, ""), GV.el("span", { id: "edit-msg", class: "muted" }, ""));
    canvas.addEventListener("pointerdown", startDrag);
    canvas.addEventListener("pointermove", moveDrag);
    canvas.addEventListener("pointerup", endDrag);
    return { wrap: GV.el("div", { class: "player" }, video, canvas), controls, video, canvas };
  }

  async function show(doc, keepPlayer) {
    state.doc = doc;
    state.visit = doc.visit.id;
    renderCombined(doc);
    renderFindings(doc);
    const results = doc.clips.filter((c) => c.result);
    const box = document.getElementById("review");
    if (!results.length) { box.textContent = ""; return; }
    if (!results.some((c) => c.id === state.clipId)) { state.clipId = (results.find((c) => c.slot === "side") || results[0]).id; keepPlayer = false; }
    const clip = results.find((c) => c.id === state.clipId);
    state.overlay = await GV.api("GET", "/api/clips/" + clip.id + "/overlay");
    if (!keepPlayer || !state.video) {
      box.textContent = "";
      const p = player(clip);
      state.video = p.video; state.canvas = p.canvas; state.frame = -1; state.calibrated = false; state.offset = 0;
      GVOverlay.attach(state);
      box.append(GV.el("h2", {}, "Review"), ...[clipTabs(doc, results)].filter(Boolean),
        GV.el("div", { class: "review-grid" }, GV.el("div", { class: "left" }, p.wrap, p.controls),
          GV.el("div", { class: "right" }, GV.el("h3", {}, "Summary"), GV.el("div", { id: "summary-box" }),
            GV.el("h3", {}, "Corrections"), GV.el("p", { class: "error", id: "review-error" }), GV.el("div", { id: "corrections-box" }))),
        GV.el("h3", {}, "Steps"), GV.el("p", { class: "muted" }, "Click a step to see its contact frame (← → step one frame, space plays). Exclude or include a step, or put its contact (IC) or toe-off (TO) at the frame shown."),
        GV.el("div", { id: "steps-box", class: "scroll" }));
    }
    state.canvas.width = state.overlay.frame_size[0];
    state.canvas.height = state.overlay.frame_size[1];
    const result = clip.result;
    document.getElementById("summary-box").replaceChildren(summaryTable(result),
      ...(result.warnings || []).map((w) => GV.el("p", { class: "muted warning-line" }, "Note: " + w)));
    document.getElementById("corrections-box").replaceChildren(correctionsList(result));
    document.getElementById("steps-box").replaceChildren(stepsTable(result));
    draw(state.frame >= 0 ? state.frame : frameAt(state.video.currentTime || 0));
  }

  document.addEventListener("keydown", (ev) => {
    if (!state.video || !state.overlay || ev.target.closest("input, textarea, select, button")) return;
    if (ev.key === "ArrowLeft" || ev.key === ",") { seekFrame(state.frame - 1); ev.preventDefault(); }
    else if (ev.key === "ArrowRight" || ev.key === ".") { seekFrame(state.frame + 1); ev.preventDefault(); }
    else if (ev.key === " ") { if (state.video.paused) state.video.play(); else state.video.pause(); ev.preventDefault(); }
  });

  return { show, seekFrame, frameAt, timeOf, state };
})();
window.GVReview = GVReview;
