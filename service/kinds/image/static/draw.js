// The drawing page: a canvas (mouse, finger or pen) or an uploaded photo, sent as the `image` field.
"use strict";
(() => {
  const canvas = document.getElementById("canvas");
  const ctx = canvas.getContext("2d");
  const form = document.getElementById("classify-form");
  const button = document.getElementById("classify");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const fileInput = document.getElementById("file");
  const key = ModelClient.keyRow();
  let upload = null; // a chosen photo wins over the canvas until the canvas is drawn on again
  let drawn = false;

  function clear() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    drawn = false;
    refresh();
  }

  function refresh() {
    button.disabled = !(drawn || upload);
  }

  // Light ink on a dark field, as the canvas drawing is sent (the server's recipe handles either).
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * (canvas.width / box.width), (event.clientY - box.top) * (canvas.height / box.height)];
  }
  let last = null;
  canvas.addEventListener("pointerdown", (event) => {
    canvas.setPointerCapture(event.pointerId);
    last = point(event);
    upload = null;
    document.getElementById("file-name").textContent = "";
    stroke(last, last);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    stroke(last, next);
    last = next;
  });
  for (const end of ["pointerup", "pointercancel", "pointerleave"]) canvas.addEventListener(end, () => { last = null; });

  function stroke(from, to) {
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 20;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(from[0], from[1]);
    ctx.lineTo(to[0], to[1]);
    ctx.stroke();
    drawn = true;
    refresh();
  }

  document.getElementById("clear").addEventListener("click", clear);
  fileInput.addEventListener("change", () => {
    upload = fileInput.files[0] || null;
    document.getElementById("file-name").textContent = upload ? upload.name : "";
    refresh();
  });

  function image() {
    if (upload) return Promise.resolve(upload);
    return new Promise((resolve) => canvas.toBlob((blob) => resolve(new File([blob], "drawing.png", { type: "image/png" })), "image/png"));
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.textContent = "Classifying…";
    try {
      const body = new FormData();
      const file = await image();
      body.append("image", file, file.name);
      const { status: code, data } = await ModelClient.call("/predict?return_input=true", body, key);
      if (code !== 200) {
        status.textContent = ModelClient.failure(code, data, key, "Classify");
        result.hidden = true;
        return;
      }
      show(data);
      status.textContent = "";
    } catch (err) {
      status.textContent = `Request failed: ${err.message}`;
    } finally {
      refresh();
    }
  });

  function show(data) {
    const verdict = document.getElementById("verdict");
    const p = data.probabilities[data.label];
    verdict.textContent = `It is a ${data.label} (${(p * 100).toFixed(1)} % likely)`;
    document.getElementById("model-input").src = data.input_png || "";
    ModelClient.bars(document.getElementById("chart"), data.probabilities, data.label);
    document.getElementById("model-line").textContent = `Model ${data.model.name} ${data.model.version} · request ${data.request_id}`;
    result.hidden = false;
    result.scrollIntoView({ block: "nearest" });
    verdict.focus({ preventScroll: true });
  }

  clear();
})();
