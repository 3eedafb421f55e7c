"use strict";
// The demo page: three images in, the service's verdict out. No framework, no CDN, no inline script.
(() => {
  const FIELDS = ["anchor", "img1", "img2"];
  const MAX_DISTANCE = 2; // cosine distance range is [0, 2]
  const files = {};
  const form = document.getElementById("compare-form");
  const button = document.getElementById("compare");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const slot = (field) => document.querySelector(`.slot[data-field="${field}"]`);

  function setFile(field, file) {
    if (!file) return;
    files[field] = file;
    const el = slot(field);
    const preview = el.querySelector(".preview");
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
    el.querySelector(".hint").hidden = true;
    clearFieldError(field);
    button.disabled = !FIELDS.every((f) => files[f]);
  }

  function clearFieldError(field) {
    slot(field).classList.remove("invalid");
    slot(field).querySelector(".field-error").textContent = "";
  }

  for (const field of FIELDS) {
    const el = slot(field);
    const drop = el.querySelector(".drop");
    const input = el.querySelector("input[type=file]");
    input.addEventListener("change", () => setFile(field, input.files[0]));
    drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("dragover"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("dragover"));
    drop.addEventListener("drop", (e) => {
      e.preventDefault();
      drop.classList.remove("dragover");
      setFile(field, e.dataTransfer.files[0]);
    });
    const camera = el.querySelector(".camera");
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext) {
      camera.hidden = false;
      camera.addEventListener("click", () => capture(field));
    }
  }

  async function capture(field) {
    const dialog = document.getElementById("camera-dialog");
    const video = document.getElementById("camera-video");
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" } });
    } catch (err) {
      slot(field).querySelector(".field-error").textContent = `Camera unavailable: ${err.message}`;
      return;
    }
    video.srcObject = stream;
    dialog.showModal();
    const stop = () => { stream.getTracks().forEach((t) => t.stop()); dialog.close(); };
    document.getElementById("camera-cancel").onclick = stop;
    document.getElementById("camera-shoot").onclick = () => {
      const canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob((blob) => {
        setFile(field, new File([blob], `${field}.jpg`, { type: "image/jpeg" }));
        stop();
      }, "image/jpeg", 0.92);
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    FIELDS.forEach(clearFieldError);
    const body = new FormData();
    for (const field of FIELDS) body.append(field, files[field], files[field].name || field);
    button.disabled = true;
    status.textContent = "Comparing…";
    try {
      const response = await fetch("/predict?return_crops=true", { method: "POST", body });
      const data = await response.json().catch(() => null);
      if (!response.ok) {
        showError(response.status, data);
        return;
      }
      showResult(data);
      status.textContent = "";
    } catch (err) {
      status.textContent = `Request failed: ${err.message}`;
    } finally {
      button.disabled = !FIELDS.every((f) => files[f]);
    }
  });

  function showError(httpStatus, data) {
    const error = data && data.error;
    const message = error ? error.message : `HTTP ${httpStatus}`;
    if (error && error.field && FIELDS.includes(error.field)) {
      slot(error.field).classList.add("invalid");
      slot(error.field).querySelector(".field-error").textContent = message;
      status.textContent = "Please fix the highlighted image.";
    } else {
      status.textContent = message;
    }
    result.hidden = true;
  }

  function showResult(data) {
    const best = data.most_similar;
    const verdict = document.getElementById("verdict");
    const bestScore = data.scores[best];
    const name = best === "img1" ? "Candidate 1" : "Candidate 2";
    if (bestScore.same_person) {
      verdict.textContent = `${name} is the same person as the anchor`;
      verdict.className = "same";
    } else {
      verdict.textContent = `Neither candidate looks like the same person (${name} is closer)`;
      verdict.className = "none";
    }
    for (const field of FIELDS) {
      const img = document.getElementById(`crop-${field}`);
      img.src = data.faces[field].crop_png || "";
    }
    for (const field of ["img1", "img2"]) {
      const score = data.scores[field];
      const bar = document.getElementById(`bar-${field}`);
      bar.style.width = `${Math.min(100, (score.distance / MAX_DISTANCE) * 100)}%`;
      bar.classList.toggle("same", score.same_person);
      document.getElementById(`threshold-${field}`).style.left = `${(data.threshold / MAX_DISTANCE) * 100}%`;
      document.getElementById(`value-${field}`).textContent = score.distance.toFixed(3);
      document.querySelector(`.bar-row[data-candidate="${field}"]`).classList.toggle("best", field === best);
    }
    document.getElementById("threshold-value").textContent = `(${data.threshold.toFixed(3)})`;
    document.getElementById("model-line").textContent = `Model ${data.model.name} ${data.model.version} · request ${data.request_id}`;
    result.hidden = false;
  }
})();
