"use strict";
/* The overlay over a clip, drawn in a <canvas> from the saved landmark track and steps: the skeleton of
   every frame and, at each step, the lines and values measured there (drawing only draws values already
   computed). Frame-exact: the video's time is mapped to a frame with the track's own per-frame times, and
   requestVideoFrameCallback (where the browser has it) says which frame is on screen.

   One script for both pages that draw it: report.html (inlined; no network, works from file://) and the
   clinic app's review page (/static/shared/overlay.js, under review.js).

   A player state `st` is a plain object: { video, canvas, overlay (the data: t, frame_size, view,
   landmarks, steps), offset, calibrated, frame, drawn } plus two optional hooks: point(name, frame) ->
   [x, y] to draw a point somewhere else (a landmark being dragged), and afterDraw(frame). */
const GVOverlay = (() => {
  const COLORS = { left: "rgb(40,120,255)", right: "rgb(255,140,0)" };
  const PARTS = ["hip", "knee", "ankle", "heel", "foot_index"];
  const EDGES = [["shoulder", "hip"], ["hip", "knee"], ["knee", "ankle"], ["ankle", "heel"], ["heel", "foot_index"], ["ankle", "foot_index"]];

  function fmt(v, decimals) {
    if (v === null || v === undefined || typeof v !== "number" || !isFinite(v)) return "—";
    return v.toFixed(decimals === undefined ? 1 : decimals);
  }

  // -- frames and times -----------------------------------------------------------------------------------
  function frameAt(st, time) {
    const T = st.overlay ? st.overlay.t : [];
    const t = time - st.offset + 1e-4;
    let lo = 0, hi = T.length - 1;
    if (!T.length) return -1;
    if (t < T[0]) return 0;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (T[mid] <= t) lo = mid; else hi = mid - 1; }
    return lo;
  }
  function frameDuration(st, i) {
    const T = st.overlay.t;
    if (i + 1 < T.length) return T[i + 1] - T[i];
    return T.length > 1 ? T[i] - T[i - 1] : 1 / 30;
  }
  /* a time inside frame i (30 % into it: never on a boundary the decoder could round either way) */
  function timeOf(st, i) { return st.offset + st.overlay.t[i] + 0.3 * frameDuration(st, i); }
  function seekFrame(st, i) {
    const n = st.overlay.t.length;
    i = Math.max(0, Math.min(n - 1, i));
    st.video.pause();
    st.video.currentTime = timeOf(st, i);
    draw(st, i);
  }

  // -- drawing ------------------------------------------------------------------------------------------------
  function point(st, name, f) {
    if (st.point) { const q = st.point(name, f); if (q) return q; }
    const m = st.overlay.landmarks[name];
    if (!m) return null;
    const x = m.x[f], y = m.y[f];
    return x === null || y === null || x === undefined || y === undefined ? null : [x, y];
  }
  function line(ctx, a, b, color, w) {
    if (!a || !b) return;
    ctx.strokeStyle = color; ctx.lineWidth = w;
    ctx.beginPath(); ctx.moveTo(a[0], a[1]); ctx.lineTo(b[0], b[1]); ctx.stroke();
  }
  function label(st, ctx, text, x, y, color, size) {
    ctx.font = `bold ${size}px sans-serif`;
    const w = ctx.measureText(text).width;
    const W = st.canvas.width;
    x = Math.max(4, Math.min(W - w - 8, x));
    y = Math.max(size + 4, y);
    ctx.fillStyle = "rgba(0,0,0,0.75)"; ctx.fillRect(x - 4, y - size - 2, w + 8, size + 8);
    ctx.fillStyle = color; ctx.fillText(text, x, y);
  }
  function drawSkeleton(st, ctx, f, lw) {
    line(ctx, point(st, "left_hip", f), point(st, "right_hip", f), "rgb(200,200,200)", lw * 0.7);
    for (const side of ["left", "right"]) {
      for (const [a, b] of EDGES) line(ctx, point(st, side + "_" + a, f), point(st, side + "_" + b, f), COLORS[side], lw);
      for (const p of PARTS) {
        const q = point(st, side + "_" + p, f);
        if (!q) continue;
        ctx.fillStyle = COLORS[side]; ctx.strokeStyle = "white"; ctx.lineWidth = 1.5;
        ctx.beginPath(); ctx.arc(q[0], q[1], lw * 1.6, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
      }
    }
  }
  function stepText(s, sideView) {
    const v = s.values, tag = (s.side === "left" ? "L" : "R") + s.step;
    if (sideView) {
      const parts = [];
      if (v.knee_flexion_ic_deg !== undefined) parts.push("knee " + fmt(v.knee_flexion_ic_deg, 0) + "°");
      if (v.foot_strike_angle_deg !== undefined) parts.push("foot " + (v.foot_strike_angle_deg >= 0 ? "+" : "") + fmt(v.foot_strike_angle_deg, 0) + "°");
      return tag + " " + parts.join(" · ");
    }
    return tag + (v.knee_fppa_peak_deg !== undefined ? " knee FPPA " + fmt(v.knee_fppa_peak_deg, 0) + "°" : "");
  }
  function drawStep(st, ctx, s, lw, size) {
    const g = s.geometry, color = COLORS[s.side];
    const sideView = st.overlay.view.startsWith("side");
    if (sideView) {
      line(ctx, g.heel, g.foot_index, "rgb(255,230,0)", lw * 1.3);
      line(ctx, g.mid_hip, g.knee, "white", lw);
      line(ctx, g.knee, g.ankle, "white", lw);
    } else {
      line(ctx, g.hip, g.knee, "rgb(255,230,0)", lw * 1.3);
      line(ctx, g.knee, g.ankle, "rgb(255,230,0)", lw * 1.3);
    }
    const anchor = g.knee || g.heel || [20, 40];
    label(st, ctx, stepText(s, sideView) + (s.excluded ? " (excluded)" : ""), anchor[0] + 12, anchor[1] - 12, color, size);
  }
  /* the steps whose values are on screen at frame f: within 0.12 s of the frame they were measured at */
  function stepsAt(st, f) {
    const win = Math.max(1, Math.round(0.12 / frameDuration(st, f)));
    return st.overlay.steps.filter((s) => s.frame !== null && Math.abs(f - s.frame) <= win);
  }
  function draw(st, f) {
    const ctx = st.canvas.getContext("2d");
    const W = st.canvas.width, H = st.canvas.height;
    ctx.clearRect(0, 0, W, H);
    if (f < 0 || !st.overlay) return;
    const lw = Math.max(2, W / 320), size = Math.max(14, Math.round(W / 40));
    drawSkeleton(st, ctx, f, lw);
    for (const s of stepsAt(st, f)) drawStep(st, ctx, s, lw, size);
    label(st, ctx, "frame " + f, 8, H - 10, "white", Math.round(size * 0.8));
    st.frame = f; st.drawn = (st.drawn || 0) + 1;
    if (st.afterDraw) st.afterDraw(f);
  }

  // -- following the video -------------------------------------------------------------------------------
  function attach(st) {
    const video = st.video;
    st.canvas.width = st.overlay.frame_size[0];
    st.canvas.height = st.overlay.frame_size[1];
    function onFrame(now, meta) {
      if (!st.calibrated && video.currentTime < 1e-3 && meta && typeof meta.mediaTime === "number") {
        st.offset = meta.mediaTime - st.overlay.t[0]; // the first frame's media time
      }
      st.calibrated = true;
      draw(st, frameAt(st, meta ? meta.mediaTime : video.currentTime));
      video.requestVideoFrameCallback(onFrame);
    }
    function playLoop() {
      if (video.paused) return;
      draw(st, frameAt(st, video.currentTime));
      requestAnimationFrame(playLoop);
    }
    video.addEventListener("seeked", () => draw(st, frameAt(st, video.currentTime)));
    video.addEventListener("loadeddata", () => { if (st.frame < 0) draw(st, frameAt(st, video.currentTime)); });
    if ("requestVideoFrameCallback" in HTMLVideoElement.prototype) video.requestVideoFrameCallback(onFrame);
    else video.addEventListener("play", () => requestAnimationFrame(playLoop));
  }

  return { COLORS, PARTS, fmt, frameAt, frameDuration, timeOf, seekFrame, point, draw, stepsAt, attach };
})();
window.GVOverlay = GVOverlay;

/* report.html: a <video data-overlay="ID"> with a <canvas> beside it and the data in
   a JSON script element with id="ID" (never run). Exposed as window.GVReport { state, seekFrame }. */
(() => {
  const video = document.querySelector("video[data-overlay]");
  if (!video) return;
  const data = document.getElementById(video.dataset.overlay);
  const canvas = video.parentElement.querySelector("canvas");
  if (!data || !canvas) return;
  const st = { video, canvas, overlay: JSON.parse(data.textContent), offset: 0, calibrated: false, frame: -1, drawn: 0 };
  const info = document.getElementById("frame-info");
  st.afterDraw = (f) => { if (info) info.textContent = "frame " + f + " / " + (st.overlay.t.length - 1) + " · " + st.overlay.t[f].toFixed(3) + " s"; };
  GVOverlay.attach(st);
  window.GVReport = { state: st, seekFrame: (i) => GVOverlay.seekFrame(st, i) };
})();
