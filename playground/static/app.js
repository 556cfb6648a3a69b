// The playground page: picks a source (upload, paste, drop, a path or an
// allowed URL), builds the transform from the form, fetches it through the
// chosen dialect and shows the result, its timings and every dialect's URL.
import { DIALECTS, build, removeBgCurl } from "./dialects.js";

const $ = (sel) => document.querySelector(sel);
const form = $("#controls");
let cfg = null;
// source: {path (on this site), name (file name), url (imported from), width, height, bytes, type}
let source = null;
let inflight = null; // {ctrl, timer}
let shown = null; // object URL of the shown result
let debounce = 0;

// ---- helpers --------------------------------------------------------------

function fmtBytes(n) {
  if (n < 1024) return n + " B";
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " KB";
  return (n / 1024 / 1024).toFixed(1) + " MB";
}

function toast(text) {
  const t = $("#toast");
  t.textContent = text;
  t.classList.add("show");
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => t.classList.remove("show"), 1800);
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // Plain http on another host has no clipboard API: select and copy.
    const ta = document.createElement("textarea");
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
  toast("Copied");
}

function absolute(path) {
  return new URL(path, location.href).href;
}

// errorText renders a server's error answer: Matte's JSON shape, another
// JSON shape as it is, or the body's text.
function renderError(status, statusText, body, contentType) {
  const box = $("#error");
  box.replaceChildren();
  const head = document.createElement("p");
  head.className = "error-head";
  head.textContent = `${status} ${statusText}`;
  box.append(head);
  let parsed = null;
  if (/json/.test(contentType || "")) {
    try { parsed = JSON.parse(body); } catch { /* shown raw below */ }
  }
  if (parsed && Array.isArray(parsed.errors)) {
    const ul = document.createElement("ul");
    for (const e of parsed.errors) {
      const li = document.createElement("li");
      const code = document.createElement("code");
      code.textContent = e.code || "error";
      li.append(code, " ", e.detail || e.title || "");
      if (e.field) {
        const f = document.createElement("span");
        f.className = "field";
        f.textContent = e.field;
        li.prepend(f, " ");
      }
      ul.append(li);
    }
    box.append(ul);
  }
  const pre = document.createElement("pre");
  pre.className = "code";
  pre.textContent = parsed ? JSON.stringify(parsed, null, 2) : body.slice(0, 4000) || "(empty body)";
  box.append(pre);
  box.hidden = false;
}

// ---- settings -------------------------------------------------------------

function settings() {
  const num = (id) => Math.max(0, parseInt($(id).value, 10) || 0);
  const hex = (id) => $(id).value.replace("#", "").toLowerCase();
  const removal = $("#rembg").checked && cfg.removal;
  let bg = form.elements.bg.value;
  if (!removal && bg !== "color") bg = "none";
  return {
    src: source ? source.path : "",
    w: num("#w"), h: num("#h"), fit: $("#fit").value, fm: $("#fm").value, q: num("#q"),
    faces: $("#faces").checked,
    rembg: removal,
    model: removal && $("#model").value !== cfg.models[0] ? $("#model").value : "",
    refine: removal && $("#refine").checked,
    cropFg: removal && $("#crop-fg").checked,
    fgPad: num("#fg-pad"),
    shadow: removal && $("#shadow").checked,
    shadowOpacity: num("#shadow-opacity"),
    bg, bgColor: hex("#bg-color"), bgImage: $("#bg-image").value.trim(), bgBlur: num("#bg-blur"),
    gradTop: hex("#grad-top"), gradBottom: hex("#grad-bottom"),
    cloud: cfg.cloudinary || null,
  };
}

function syncForm() {
  const on = $("#rembg").checked && cfg.removal;
  $("#rembg-opts").disabled = !on;
  $("#fg-pad").disabled = !on || !$("#crop-fg").checked;
  $("#shadow-opacity").disabled = !on || !$("#shadow").checked;
  for (const r of form.querySelectorAll("[data-needs-rembg]")) {
    r.disabled = !on;
    if (!on && r.checked) form.elements.bg.value = "none";
  }
  const bg = form.elements.bg.value;
  for (const p of document.querySelectorAll(".bg-panel")) p.hidden = p.dataset.bg !== bg;
  $("#q-out").textContent = $("#q").value === "0" ? "default" : $("#q").value;
  $("#fg-pad-out").textContent = $("#fg-pad").value + " px";
  $("#shadow-opacity-out").textContent = $("#shadow-opacity").value + " %";
  $("#bg-blur-out").textContent = $("#bg-blur").value;
}

// ---- URLs -----------------------------------------------------------------

// answered reports whether this server answers dialect d's URLs: Matte's
// query always, the others when the site has their url_dialect line.
function answered(d) {
  return d.id === "query" || (cfg.dialects || []).includes(d.id);
}

function renderURLs(s) {
  const list = $("#urls");
  list.replaceChildren();
  for (const d of DIALECTS.filter(answered)) {
    const { url, lost } = d.build(s);
    const li = document.createElement("li");
    li.className = "url";
    li.dataset.dialect = d.id;
    const label = document.createElement("span");
    label.className = "url-label";
    label.textContent = d.label;
    const code = document.createElement("code");
    code.className = "url-text";
    code.textContent = url;
    code.tabIndex = 0;
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "copy secondary";
    btn.textContent = "Copy";
    btn.setAttribute("aria-label", "Copy the " + d.label + " URL");
    btn.addEventListener("click", () => copy(absolute(url)));
    li.append(label, code, btn);
    if (lost.length) {
      const note = document.createElement("span");
      note.className = "lost";
      note.textContent = "Cannot spell: " + lost.join(", ");
      li.append(note);
    }
    list.append(li);
  }
  const note = $("#curl-note");
  if (!cfg.removebg) {
    $("#curl").textContent = "";
    $("#curl-box").hidden = true;
    note.textContent = "The remove.bg-compatible API is off on this server (add `removebg` to the matte block).";
    return;
  }
  $("#curl-box").hidden = false;
  const { cmd, lost } = removeBgCurl(s, source || {}, absolute(cfg.removebg), cfg.apiKeys);
  $("#curl").textContent = cmd;
  note.textContent = (lost.length ? "The API cannot spell: " + lost.join(", ") + ". " : "") +
    "It answers the same cut-out as ?rembg=1, from the same caches.";
}

// ---- sources --------------------------------------------------------------

function showSource() {
  const info = $("#source-info");
  if (!source) {
    info.textContent = "No image yet.";
    return;
  }
  const dims = source.width ? ` · ${source.width}×${source.height}` : "";
  const size = source.bytes ? ` · ${fmtBytes(source.bytes)}` : "";
  info.replaceChildren();
  const strong = document.createElement("strong");
  strong.textContent = source.name || source.path;
  info.append(strong, `${dims}${size} · served at `);
  const a = document.createElement("a");
  a.href = source.path;
  a.textContent = source.path;
  a.target = "_blank";
  a.rel = "noopener";
  info.append(a);
}

async function upload(body, contentType, name, fromURL) {
  clearError();
  setBusy(fromURL ? "Fetching the image…" : "Uploading…", false);
  try {
    const res = await fetch(cfg.path + "/", { method: "POST", body, headers: { "Content-Type": contentType } });
    const text = await res.text();
    if (!res.ok) {
      renderError(res.status, res.statusText, text, res.headers.get("Content-Type"));
      $("#status").textContent = "The upload was refused.";
      return;
    }
    const u = JSON.parse(text);
    source = { path: u.path, name, url: fromURL || "", width: u.width, height: u.height, bytes: u.bytes, type: u.type };
    showSource();
    update(true);
  } catch (err) {
    renderError(0, "Network error", String(err), "");
  } finally {
    setBusy(null);
  }
}

function useFile(file) {
  if (!file) return;
  if (cfg && file.size > cfg.maxFileBytes) {
    renderError(413, "Too large", `This file is ${fmtBytes(file.size)}; the server takes up to ${fmtBytes(cfg.maxFileBytes)}.`, "");
    return;
  }
  upload(file, file.type || "application/octet-stream", file.name || "pasted.png", "");
}

function useTyped() {
  const v = $("#src-url").value.trim();
  if (!v) return;
  if (/^https?:\/\//i.test(v)) {
    upload(JSON.stringify({ url: v }), "application/json", v.split("/").pop().split("?")[0] || "image", v);
    return;
  }
  if (!v.startsWith("/")) {
    renderError(400, "Bad source", "Give a path on this site (starting with /) or an http(s) URL.", "");
    return;
  }
  source = { path: v.split("?")[0], name: v.split("/").pop(), url: "" };
  showSource();
  update(true);
}

// ---- preview --------------------------------------------------------------

function clearError() {
  $("#error").hidden = true;
  $("#error").replaceChildren();
}

function setBusy(text, cancellable) {
  const busy = $("#busy");
  clearInterval(setBusy.timer);
  if (text == null) {
    busy.hidden = true;
    $("#compare").removeAttribute("aria-busy");
    return;
  }
  busy.hidden = false;
  $("#compare").setAttribute("aria-busy", "true");
  $("#cancel").hidden = !cancellable;
  const start = performance.now();
  const tick = () => {
    const secs = ((performance.now() - start) / 1000).toFixed(1);
    $("#busy-text").textContent = `${text} ${secs} s`;
  };
  tick();
  setBusy.timer = setInterval(tick, 100);
}

function parseServerTiming(h) {
  if (!h) return [];
  return h.split(",").map((part) => {
    const [name, ...attrs] = part.trim().split(";");
    const m = { name: name.trim(), dur: null, desc: "" };
    for (const a of attrs) {
      const [k, v = ""] = a.trim().split("=");
      const val = v.replace(/^"|"$/g, "");
      if (k === "dur") m.dur = parseFloat(val);
      if (k === "desc") m.desc = val;
    }
    return m;
  }).filter((m) => m.name);
}

function renderTimings(header) {
  const list = $("#timing-list");
  list.replaceChildren();
  const metrics = parseServerTiming(header);
  $("#timings").hidden = metrics.length === 0;
  $("#no-timing").hidden = metrics.length !== 0;
  const most = Math.max(1, ...metrics.map((m) => m.dur || 0));
  for (const m of metrics) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "bar-name";
    name.textContent = m.name;
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.setProperty("--w", ((m.dur || 0) / most) * 100 + "%");
    const val = document.createElement("span");
    val.className = "bar-val";
    val.textContent = (m.dur != null ? m.dur.toFixed(1) + " ms" : "") + (m.desc ? " " + m.desc : "");
    li.append(name, bar, val);
    list.append(li);
  }
}

function renderHeaders(res, bytes, ms) {
  const dl = $("#headers");
  dl.replaceChildren();
  const add = (k, v) => {
    if (!v) return;
    const dt = document.createElement("dt");
    dt.textContent = k;
    const dd = document.createElement("dd");
    dd.textContent = v;
    dl.append(dt, dd);
  };
  add("X-Cache", res.headers.get("X-Cache"));
  add("Content-Type", res.headers.get("Content-Type"));
  add("Size", bytes != null ? fmtBytes(bytes) : "");
  add("Time in the browser", ms.toFixed(0) + " ms");
  add("X-Matte-Model", res.headers.get("X-Matte-Model"));
  const fg = ["Left", "Top", "Width", "Height"].map((k) => res.headers.get("X-Foreground-" + k));
  if (fg[0] != null) add("Subject box", `${fg[2]}×${fg[3]} at ${fg[0]},${fg[1]}`);
  add("ETag", res.headers.get("ETag"));
  add("Cache-Control", res.headers.get("Cache-Control"));
}

function beforeURL(s) {
  // The source at the same geometry, so that the halves line up.
  return build("query", { ...s, fm: "", q: 0, rembg: false, bg: s.fit === "fill" && s.bg === "color" ? "color" : "none" }).url;
}

async function preview() {
  if (!source) return;
  const s = settings();
  const dialect = $("#dialect").value;
  const { url, lost } = build(dialect, s);
  if (inflight) inflight.ctrl.abort();
  const ctrl = new AbortController();
  inflight = { ctrl };
  clearError();
  const compare = $("#compare");
  compare.dataset.state = "loading";
  setBusy(s.rembg ? "Removing the background… (the first run on a CPU takes a few seconds)" : "Rendering…", true);
  $("#before").src = beforeURL(s);
  $("#before").hidden = false;
  const start = performance.now();
  try {
    const res = await fetch(url, { signal: ctrl.signal, cache: "no-store" });
    const ms = performance.now() - start;
    if (!res.ok) {
      const text = await res.text();
      renderError(res.status, res.statusText, text, res.headers.get("Content-Type"));
      $("#status").textContent = `${res.status} ${res.statusText} from ${url}`;
      renderTimings(res.headers.get("Server-Timing"));
      renderHeaders(res, null, ms);
      compare.dataset.state = "error";
      return;
    }
    const blob = await res.blob();
    if (shown) URL.revokeObjectURL(shown);
    shown = URL.createObjectURL(blob);
    const after = $("#after");
    await new Promise((ok, fail) => {
      after.onload = ok;
      after.onerror = () => fail(new Error("the browser cannot show " + (blob.type || "this format")));
      after.src = shown;
    });
    after.hidden = false;
    after.dataset.url = url;
    $("#open-result").href = url;
    $("#open-result").hidden = false;
    const lostText = lost.length ? ` · this dialect cannot spell: ${lost.join(", ")}` : "";
    $("#status").textContent = `${res.status} · ${after.naturalWidth}×${after.naturalHeight} · ${fmtBytes(blob.size)} · ` +
      `${res.headers.get("X-Cache") || "no X-Cache"} · ${(ms / 1000).toFixed(2)} s${lostText}`;
    renderTimings(res.headers.get("Server-Timing"));
    renderHeaders(res, blob.size, ms);
    compare.dataset.state = "done";
  } catch (err) {
    if (err.name === "AbortError") return;
    renderError(0, "Failed", String(err.message || err), "");
    compare.dataset.state = "error";
  } finally {
    if (inflight && inflight.ctrl === ctrl) {
      inflight = null;
      setBusy(null);
    }
  }
}

function update(now) {
  syncForm();
  const s = settings();
  $("#dialect-note").textContent = "";
  if (source) {
    renderURLs(s);
    const { lost } = build($("#dialect").value, s);
    if (lost.length) $("#dialect-note").textContent = "This dialect cannot spell: " + lost.join(", ") + ".";
  }
  clearTimeout(debounce);
  if (now) preview();
  else if ($("#live").checked) debounce = setTimeout(preview, 450);
}

// ---- wiring ---------------------------------------------------------------

function setSplit(v) {
  $("#compare").style.setProperty("--split", v + "%");
}

function wire() {
  form.addEventListener("input", (e) => {
    if (e.target.id === "src-url" || e.target.id === "file") return;
    update(false);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    update(true);
  });
  $("#file").addEventListener("change", (e) => useFile(e.target.files[0]));
  $("#src-use").addEventListener("click", useTyped);
  $("#src-url").addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      e.preventDefault();
      useTyped();
    }
  });
  const drop = $("#drop");
  for (const t of ["dragenter", "dragover"]) {
    document.addEventListener(t, (e) => {
      e.preventDefault();
      drop.classList.add("over");
    });
  }
  for (const t of ["dragleave", "drop"]) document.addEventListener(t, () => drop.classList.remove("over"));
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) useFile(f);
  });
  document.addEventListener("paste", (e) => {
    if (e.target.matches && e.target.matches("input[type=text], input:not([type])")) return;
    const item = [...(e.clipboardData ? e.clipboardData.items : [])].find((i) => i.type.startsWith("image/"));
    if (item) {
      e.preventDefault();
      useFile(item.getAsFile());
    }
  });
  $("#split").addEventListener("input", (e) => setSplit(e.target.value));
  $("#checker").addEventListener("change", (e) => $("#compare").classList.toggle("checker", e.target.checked));
  $("#cancel").addEventListener("click", () => {
    if (inflight) inflight.ctrl.abort();
    inflight = null;
    setBusy(null);
    $("#compare").dataset.state = "cancelled";
    $("#status").textContent = "Cancelled.";
  });
  document.addEventListener("click", (e) => {
    const b = e.target.closest("[data-copy]");
    if (b) copy($("#" + b.dataset.copy).textContent);
  });
  // Drag anywhere on the picture to move the split.
  const compare = $("#compare");
  const move = (e) => {
    const r = compare.getBoundingClientRect();
    const v = Math.round(Math.min(100, Math.max(0, ((e.clientX - r.left) / r.width) * 100)));
    $("#split").value = v;
    setSplit(v);
  };
  compare.addEventListener("pointerdown", (e) => {
    if (e.target.closest("button")) return;
    compare.setPointerCapture(e.pointerId);
    move(e);
    compare.addEventListener("pointermove", move);
  });
  compare.addEventListener("pointerup", () => compare.removeEventListener("pointermove", move));
}

async function init() {
  const res = await fetch("config.json", { cache: "no-store" });
  cfg = await res.json();
  $("#max-size").textContent = fmtBytes(cfg.maxFileBytes);
  const models = $("#model");
  for (const m of cfg.models || []) models.append(new Option(m + (m === cfg.models[0] ? " (default)" : ""), m));
  if (!cfg.removal) {
    $("#rembg").disabled = true;
    $("#rembg-off").hidden = false;
  }
  const dialects = $("#dialect");
  for (const d of DIALECTS.filter(answered)) dialects.append(new Option(d.label, d.id));
  const off = DIALECTS.filter((d) => !answered(d));
  $("#dialects-off").hidden = off.length === 0;
  $("#dialects-off").textContent = "Off on this site: " + off.map((d) => `${d.label} (url_dialect ${d.id})`).join(", ") +
    ". Add a url_dialect line to the matte block to answer one.";
  if (!cfg.importURLs) $("#src-url").placeholder = "/img/product.jpg (remote URLs are off here)";
  if (cfg.signed) {
    $("#signed-note").hidden = false;
  }
  setSplit(50);
  wire();
  syncForm();
  const start = new URLSearchParams(location.search).get("src");
  if (start) {
    $("#src-url").value = start;
    useTyped();
  }
  document.body.dataset.ready = "true";
}

init().catch((err) => renderError(0, "The playground could not start", String(err), ""));
