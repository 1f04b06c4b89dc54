"use strict";
document.getElementById("new-patient").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const err = document.getElementById("new-patient-error");
  err.textContent = "";
  try {
    const r = await GV.api("POST", "/api/patients", GV.formData(ev.target));
    location.href = "/patients/" + r.id;
  } catch (e) { err.textContent = e.message; }
});
