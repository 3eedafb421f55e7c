// What the classifier pages share: the API key (asked for on 401, kept only in this tab), the POST,
// and the probability bar chart. The face page predates this file and keeps its own copy of the key row.
"use strict";
window.ModelClient = (() => {
  const KEY = "facesim-api-key";

  function keyRow() {
    const input = document.getElementById("api-key");
    const row = document.getElementById("api-key-row");
    input.value = sessionStorage.getItem(KEY) || "";
    row.hidden = !input.value;
    input.addEventListener("input", () => sessionStorage.setItem(KEY, input.value));
    return { input, row };
  }

  // POST (or GET when body is undefined); resolves to {status, data} and never throws on HTTP errors.
  async function call(url, body, key) {
    const headers = key.input.value ? { "X-API-Key": key.input.value } : {};
    if (body !== undefined && !(body instanceof FormData)) headers["Content-Type"] = "application/json";
    const init = body === undefined ? { headers } : { method: "POST", headers, body: body instanceof FormData ? body : JSON.stringify(body) };
    const response = await fetch(url, init);
    const data = await response.json().catch(() => null);
    return { status: response.status, data };
  }

  // The message for a failed answer; on 401 the key row is shown and focused.
  function failure(status, data, key, action) {
    if (status === 401) {
      key.row.hidden = false;
      key.input.focus();
      return key.input.value
        ? `This API key was not accepted. Check it and press ${action} again.`
        : `This service needs an API key: enter it above and press ${action} again.`;
    }
    return data && data.error ? data.error.message : `HTTP ${status}`;
  }

  // One bar per label, widest first in the page's order of labels; the winner is marked.
  function bars(container, probabilities, winner) {
    container.replaceChildren();
    for (const [label, p] of Object.entries(probabilities)) {
      const row = document.createElement("div");
      row.className = "bar-row" + (label === winner ? " best" : "");
      row.dataset.label = label;
      const name = document.createElement("span");
      name.className = "bar-label";
      name.textContent = label;
      const track = document.createElement("div");
      track.className = "bar-track";
      const bar = document.createElement("div");
      bar.className = "bar" + (label === winner ? " same" : "");
      bar.style.width = `${(p * 100).toFixed(1)}%`;
      track.append(bar);
      const value = document.createElement("span");
      value.className = "bar-value";
      value.textContent = `${(p * 100).toFixed(1)} %`;
      row.append(name, track, value);
      container.append(row);
    }
  }

  return { keyRow, call, failure, bars };
})();
