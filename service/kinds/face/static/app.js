"use strict";
// The demo page: three images in, the service's verdict out. No framework, no CDN, no inline script.
(() => {
  const FIELDS = ["anchor", "img1", "img2"];
  // The API's field names as the page labels them; messages from the API are shown in these words.
  const LABELS = { anchor: "Anchor", img1: "Candidate 1", img2: "Candidate 2" };
  const ACCEPTED = "JPEG, PNG, WebP, BMP, TIFF or GIF";
  const MAX_DISTANCE = 2; // cosine distance range is [0, 2]
  const files = {};
  const picks = {}; // per field, which choice is current (a slow read must not overwrite a newer one)
  const form = document.getElementById("compare-form");
  const button = document.getElementById("compare");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const slot = (field) => document.querySelector(`.slot[data-field="${field}"]`);

  // What the first bytes say the file is: the service decides by content too, not by name or type.
  function sniff(bytes) {
    const at = (offset, ...values) => values.every((v, i) => bytes[offset + i] === v);
    const text = (offset, s) => at(offset, ...Array.from(s, (c) => c.charCodeAt(0)));
    if (at(0, 0xff, 0xd8, 0xff)) return "JPEG";
    if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return "PNG";
    if (text(0, "GIF87a") || text(0, "GIF89a")) return "GIF";
    if (text(0, "RIFF") && text(8, "WEBP")) return "WebP";
    if (text(0, "BM")) return "BMP";
    if (text(0, "II*\0") || text(0, "MM\0*")) return "TIFF";
    if (text(4, "ftypheic") || text(4, "ftypheix") || text(4, "ftypmif1")) return "HEIC";
    if (text(4, "ftypavif")) return "AVIF";
    if (text(0, "%PDF")) return "PDF";
    return null;
  }

  function size(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} kB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  }

  async function setFile(field, file) {
    if (!file) return;
    const pick = (picks[field] = (picks[field] || 0) + 1);
    const el = slot(field);
    const preview = el.querySelector(".preview");
    const hint = el.querySelector(".hint");
    el.querySelector(".file-name").textContent = `${file.name || "photo"} · ${size(file.size)}`;
    clearFieldError(field);
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.removeAttribute("src");
    preview.hidden = true;
    hint.hidden = false;
    delete files[field];
    button.disabled = true;
    const kind = sniff(new Uint8Array(await file.slice(0, 16).arrayBuffer()));
    if (pick !== picks[field]) return;
    if (!kind || ["HEIC", "AVIF", "PDF"].includes(kind)) {
      const what = kind ? `a ${kind} file` : "not an image";
      hint.textContent = "Not an image: choose another file";
      showFieldError(field, `${file.name || "This file"} is ${what}; choose a ${ACCEPTED} photo.`);
    } else {
      files[field] = file;
      hint.textContent = `${kind} image`;
      preview.onload = () => { preview.hidden = false; hint.hidden = true; };
      preview.onerror = () => { hint.textContent = `${kind} image: no preview in this browser, but the service reads it`; };
      preview.src = URL.createObjectURL(file);
    }
    button.disabled = !FIELDS.every((f) => files[f]);
  }

  function showFieldError(field, message) {
    slot(field).classList.add("invalid");
    slot(field).querySelector(".field-error").textContent = message;
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
        setFile(field, new File([blob], `${LABELS[field]} (camera).jpg`, { type: "image/jpeg" }));
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
      const headers = apiKey.value ? { "X-API-Key": apiKey.value } : {};
      const response = await fetch("/predict?return_crops=true", { method: "POST", body, headers });
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

  // 'img1' in the API's message becomes "Candidate 1", as the page calls it.
  function inPageWords(message) {
    return FIELDS.reduce((text, f) => text.split(`'${f}'`).join(LABELS[f]), message);
  }

  // A deployment with API_KEYS set answers 401 until the page sends a key: ask for it once, keep it
  // for this tab only (sessionStorage), never in the URL.
  const apiKey = document.getElementById("api-key");
  const apiKeyRow = document.getElementById("api-key-row");
  apiKey.value = sessionStorage.getItem("facesim-api-key") || "";
  apiKeyRow.hidden = !apiKey.value;
  apiKey.addEventListener("input", () => sessionStorage.setItem("facesim-api-key", apiKey.value));

  function showError(httpStatus, data) {
    const error = data && data.error;
    if (httpStatus === 401) {
      apiKeyRow.hidden = false;
      apiKey.focus();
      status.textContent = apiKey.value
        ? "This API key was not accepted. Check it and press Compare again."
        : "This service needs an API key: enter it above and press Compare again.";
      result.hidden = true;
      return;
    }
    const message = error ? inPageWords(error.message) : `HTTP ${httpStatus}`;
    if (error && error.code === "face_too_small" && FIELDS.includes(error.field)) {
      // Found, but too few pixels for a verdict worth trusting: say so rather than guess.
      showFieldError(error.field, message);
      status.textContent = `The face in the ${LABELS[error.field]} image is too small to compare ` +
        `reliably (${error.face_width_px} px wide; this model needs at least ${error.min_face_px} px). ` +
        "Use a larger or closer photo.";
      slot(error.field).scrollIntoView({ block: "nearest" });
    } else if (error && error.field && FIELDS.includes(error.field)) {
      showFieldError(error.field, message);
      status.textContent = `Please change the ${LABELS[error.field]} image.`;
      slot(error.field).scrollIntoView({ block: "nearest" });
    } else {
      status.textContent = message;
    }
    result.hidden = true;
  }

  // A verdict between these probabilities is a close call (a near threshold distance: a poor
  // photo, or two people alike): the headline says so rather than state it flatly.
  const SURE = 0.9;

  function hedged(data, sentence) {
    const unsure = ["img1", "img2"].filter((f) => {
      const p = data.scores[f].probability;
      return typeof p === "number" && p > 1 - SURE && p < SURE;
    });
    if (unsure.length === 0) return sentence;
    const which = unsure.map((f) => LABELS[f]).join(" and ");
    return `${sentence}. Not sure about ${which}: a close call (between ${Math.round((1 - SURE) * 100)} % and ${Math.round(SURE * 100)} % likely the same); a larger, sharper photo would settle it`;
  }

  // One sentence that gives both candidates' verdicts, whichever way they fall.
  function headline(data) {
    const { text, kind } = verdictSentence(data);
    return { text: hedged(data, text), kind };
  }

  function verdictSentence(data) {
    const closer = LABELS[data.most_similar];
    const same = ["img1", "img2"].filter((f) => data.scores[f].same_person);
    if (same.length === 2) {
      return { text: `Both candidates are the same person as the anchor (${closer} is closer)`, kind: "same" };
    }
    if (same.length === 0) {
      return { text: `Neither candidate is the same person as the anchor (${closer} is closer)`, kind: "none" };
    }
    const other = LABELS[same[0] === "img1" ? "img2" : "img1"];
    return { text: `${LABELS[same[0]]} is the same person as the anchor; ${other} is not`, kind: "same" };
  }

  function showCandidate(field, score, data) {
    const bar = document.getElementById(`bar-${field}`);
    bar.style.width = `${Math.min(100, (score.distance / MAX_DISTANCE) * 100)}%`;
    bar.classList.toggle("same", score.same_person);
    document.getElementById(`threshold-${field}`).style.left = `${(data.threshold / MAX_DISTANCE) * 100}%`;
    document.getElementById(`value-${field}`).textContent = score.distance.toFixed(3);
    const verdict = document.getElementById(`verdict-${field}`);
    verdict.textContent = score.same_person ? "same person" : "not the same person";
    verdict.className = `bar-verdict ${score.same_person ? "same" : "none"}`;
    // Optional: models that report a same-person probability per candidate.
    const probability = document.getElementById(`probability-${field}`);
    const known = typeof score.probability === "number";
    probability.hidden = !known;
    probability.textContent = known ? `${Math.round(score.probability * 100)} % likely the same` : "";
    document.querySelector(`.bar-row[data-candidate="${field}"]`).classList.toggle("best", field === data.most_similar);
  }

  function showResult(data) {
    const verdict = document.getElementById("verdict");
    const { text, kind } = headline(data);
    verdict.textContent = text;
    verdict.className = kind;
    for (const field of FIELDS) {
      const img = document.getElementById(`crop-${field}`);
      img.src = data.faces[field].crop_png || "";
    }
    for (const field of ["img1", "img2"]) showCandidate(field, data.scores[field], data);
    document.getElementById("threshold-value").textContent = `(${data.threshold.toFixed(3)})`;
    document.getElementById("model-line").textContent = `Model ${data.model.name} ${data.model.version} · request ${data.request_id}`;
    result.hidden = false;
    // On a phone the result is below the fold: bring it up, and move focus for screen readers.
    result.scrollIntoView({ block: "start" });
    verdict.focus({ preventScroll: true });
  }
})();
