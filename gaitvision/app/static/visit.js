"use strict";
/* The visit page: details, uploads with progress, each job's stage and percent, then the review. */
(() => {
  const root = document.getElementById("visit");
  const vid = root.dataset.visit;
  let polling = null;

  document.getElementById("edit-visit").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const err = document.getElementById("visit-error");
    err.textContent = "";
    try { await GV.api("PATCH", "/api/visits/" + vid, GV.formData(ev.target)); location.reload(); }
    catch (e) { err.textContent = e.message; }
  });
  document.getElementById("delete-visit").addEventListener("click", async () => {
    if (!confirm("Delete this visit with its clips and analysis files? This cannot be undone.")) return;
    try { await GV.api("DELETE", "/api/visits/" + vid); location.href = "/patients/" + root.dataset.patient; }
    catch (e) { document.getElementById("visit-error").textContent = e.message; }
  });

  // -- upload -------------------------------------------------------------------------------------------
  const drop = document.getElementById("dropzone");
  const bar = document.getElementById("upload-progress");
  const status = document.getElementById("upload-status");
  async function send(file) {
    const err = document.getElementById("upload-error");
    err.textContent = "";
    bar.hidden = false; bar.value = 0;
    status.textContent = "uploading " + file.name + "…";
    try {
      await GV.upload("/api/visits/" + vid + "/clips", file, { view: document.getElementById("view").value },
        (f) => { bar.value = f; status.textContent = "uploading " + Math.round(100 * f) + " %"; });
      status.textContent = "uploaded; analysis queued";
      refresh();
    } catch (e) { err.textContent = e.message; status.textContent = ""; }
    bar.hidden = true;
  }
  document.getElementById("file").addEventListener("change", (ev) => { if (ev.target.files[0]) send(ev.target.files[0]); ev.target.value = ""; });
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault(); drop.classList.remove("over");
    if (ev.dataTransfer.files[0]) send(ev.dataTransfer.files[0]);
  });

  // -- clips and jobs ---------------------------------------------------------------------------------------
  function jobLine(c) {
    const j = c.job;
    if (!j) return GV.el("span", {}, "no analysis");
    const pct = Math.round(100 * j.progress);
    const parts = [GV.el("span", { class: "state state-" + j.state, dataset: { state: j.state } }, j.state)];
    if (j.state === "running" || j.state === "queued" || j.state === "interrupted") {
      parts.push(" ", GV.el("progress", { max: 100, value: pct, class: "job-progress" }), " ",
        GV.el("span", { class: "job-stage" }, j.stage + " " + pct + " %"));
    }
    if (j.interrupted) parts.push(GV.el("span", { class: "muted" }, " (interrupted " + j.interrupted + "×, run again)"));
    if (j.state === "failed") {
      parts.push(GV.el("p", { class: "error job-error" }, j.error || "The analysis failed."),
        GV.el("button", { type: "button", onclick: async () => { await GV.api("POST", "/api/clips/" + c.id + "/analyse"); refresh(); } }, "Analyse again"));
    }
    return GV.el("span", {}, ...parts);
  }

  function clipRow(c) {
    return GV.el("div", { class: "clip", dataset: { clip: c.id, job: c.job ? c.job.id : "" } },
      GV.el("strong", {}, c.slot === "auto" ? "clip" : c.slot + " clip"), " ",
      GV.el("span", { class: "muted" }, c.original_name + (c.view ? " · " + c.view : "")), " ",
      jobLine(c), " ",
      GV.el("button", { type: "button", class: "danger small", onclick: async () => {
        if (!confirm("Delete this clip and its analysis files?")) return;
        await GV.api("DELETE", "/api/clips/" + c.id); refresh();
      } }, "delete"));
  }

  let lastDone = "";
  async function refresh() {
    let doc;
    try { doc = await GV.api("GET", "/api/visits/" + vid); }
    catch (e) { document.getElementById("upload-error").textContent = e.message; return; }
    const box = document.getElementById("clips");
    box.textContent = "";
    for (const c of doc.clips) box.append(clipRow(c));
    const busy = doc.clips.some((c) => c.job && ["queued", "running", "interrupted"].includes(c.job.state));
    clearTimeout(polling);
    if (busy) polling = setTimeout(refresh, 700);
    const done = doc.clips.filter((c) => c.result).map((c) => c.id).join(",");
    if (done !== lastDone) { lastDone = done; GVReview.show(doc); }
  }
  window.GVVisit = { refresh };
  refresh();
})();
