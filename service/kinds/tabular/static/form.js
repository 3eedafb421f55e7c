// The form is generated from the model's own feature list (GET /v1/model): numbers with their bounds,
// categories as choices, each filled with the manifest's example; one row is sent as {"rows": [row]}.
"use strict";
(() => {
  const form = document.getElementById("row-form");
  const fields = document.getElementById("features");
  const button = document.getElementById("classify");
  const status = document.getElementById("status");
  const result = document.getElementById("result");
  const key = ModelClient.keyRow();
  let features = [];

  async function load() {
    const { status: code, data } = await ModelClient.call("/v1/model", undefined, key);
    if (code !== 200) {
      status.textContent = code === 503 ? "The model is still loading; reload the page in a moment." : ModelClient.failure(code, data, key, "Classify");
      button.disabled = code !== 401;
      return;
    }
    document.getElementById("title").textContent = `${data.name} ${data.version}`;
    features = data.features;
    fields.replaceChildren(...features.map(control));
    status.textContent = "";
    button.disabled = false;
  }

  function control(feature) {
    const box = document.createElement("div");
    box.className = "feature";
    box.dataset.feature = feature.name;
    const label = document.createElement("label");
    label.htmlFor = `f-${feature.name}`;
    label.textContent = feature.name;
    let input;
    if (feature.type === "categorical") {
      input = document.createElement("select");
      for (const category of feature.categories) input.append(new Option(category, category, false, category === feature.example));
    } else {
      input = document.createElement("input");
      input.type = "number";
      input.step = "any";
      input.min = feature.minimum;
      input.max = feature.maximum;
      input.value = feature.example;
    }
    input.id = `f-${feature.name}`;
    input.name = feature.name;
    const hint = document.createElement("span");
    hint.className = "hint";
    hint.textContent = feature.description || (feature.type === "numeric" ? `${feature.minimum} to ${feature.maximum}` : "");
    const error = document.createElement("p");
    error.className = "field-error";
    box.append(label, input, hint, error);
    return box;
  }

  function row() {
    const values = {};
    for (const feature of features) {
      const raw = form.elements[feature.name].value;
      values[feature.name] = feature.type === "numeric" && raw.trim() !== "" && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
    }
    return values;
  }

  function clearErrors() {
    for (const box of fields.children) {
      box.classList.remove("invalid");
      box.querySelector(".field-error").textContent = "";
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!features.length) return load();
    clearErrors();
    button.disabled = true;
    status.textContent = "Classifying…";
    try {
      const { status: code, data } = await ModelClient.call("/predict", { rows: [row()] }, key);
      if (code !== 200) {
        showError(code, data);
        return;
      }
      show(data);
      status.textContent = "";
    } catch (err) {
      status.textContent = `Request failed: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });

  // A 422 names "rows[0].<feature>": the message goes beside that feature's control.
  function showError(code, data) {
    result.hidden = true;
    const field = data && data.error && data.error.field;
    const name = field ? field.replace(/^rows\[\d+\]\./, "") : null;
    const box = name && fields.querySelector(`[data-feature="${CSS.escape(name)}"]`);
    if (code === 422 && box) {
      box.classList.add("invalid");
      box.querySelector(".field-error").textContent = data.error.message.replace(/^rows\[\d+\]\.[^:]*: /, "");
      status.textContent = `Please change ${name}.`;
      box.scrollIntoView({ block: "nearest" });
      return;
    }
    status.textContent = ModelClient.failure(code, data, key, "Classify");
  }

  function show(data) {
    const answer = data.predictions[0];
    const verdict = document.getElementById("verdict");
    verdict.textContent = `${answer.label} (${(answer.probabilities[answer.label] * 100).toFixed(1)} % likely)`;
    ModelClient.bars(document.getElementById("chart"), answer.probabilities, answer.label);
    document.getElementById("model-line").textContent = `Model ${data.model.name} ${data.model.version} · request ${data.request_id}`;
    result.hidden = false;
    result.scrollIntoView({ block: "nearest" });
    verdict.focus({ preventScroll: true });
  }

  load();
})();
