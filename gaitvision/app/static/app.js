/* gaitvision clinic app: shared helpers (no external scripts, no build step). */
"use strict";
const GV = (() => {
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  async function api(method, url, body) {
    const opts = { method, headers: { "X-CSRF-Token": csrf() }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const r = await fetch(url, opts);
    let data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) {
      const msg = (data && (data.error || (data.detail && JSON.stringify(data.detail)))) || ("HTTP " + r.status);
      throw new Error(msg);
    }
    return data;
  }

  function formData(form) {
    const out = {};
    for (const [k, v] of new FormData(form).entries()) out[k] = typeof v === "string" ? v : "";
    return out;
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") e.className = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(e.dataset, v);
      else e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function fmt(v, decimals) {
    if (v === null || v === undefined || typeof v !== "number" || !isFinite(v)) return "—";
    return v.toFixed(decimals === undefined ? 1 : decimals);
  }

  function ci(v, decimals) {
    if (!Array.isArray(v) || v.length !== 2) return "—";
    return fmt(v[0], decimals) + " – " + fmt(v[1], decimals);
  }

  function decimalsFor(key, unit) {
    if (unit === "s" || /_s$/.test(key)) return 3;
    if (key === "duty_factor") return 2;
    return 1;
  }

  function upload(url, file, fields, onProgress) {
    return new Promise((resolve, reject) => {
      const fd = new FormData();
      for (const [k, v] of Object.entries(fields || {})) fd.append(k, v);
      fd.append("clip", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRF-Token", csrf());
      xhr.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
      xhr.onload = () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new Error((data && data.error) || ("HTTP " + xhr.status)));
      };
      xhr.onerror = () => reject(new Error("The upload failed (connection lost)."));
      xhr.send(fd);
    });
  }

  return { api, formData, el, fmt, ci, decimalsFor, upload };
})();
