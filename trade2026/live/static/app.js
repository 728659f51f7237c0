// The Trade2026 operator page: reads the control API of `t26 serve --api`, draws it, and acts through it.
//
// The API token lives in the `token` variable of this closure only: never in localStorage,
// sessionStorage, a cookie or the URL. Reloading the page forgets it. Every request sends it as
// `Authorization: Bearer`; live updates come from /api/v1/events read with fetch() streaming
// (EventSource cannot send that header). Text from the server is inserted with textContent only.
"use strict";

(() => {
  let token = null;
  let streamAbort = null;
  let timers = [];
  let lastSnapshot = 0; // performance.now() of the last snapshot event
  let reconciliation = null; // the /readyz answer once ready
  const fills = new Map(); // seq -> fill, the tape (newest kept)
  let lastFillSeq = 0;
  const TAPE = 200;
  const SIM_EPOCH_MS = Date.UTC(2024, 0, 2);

  const $ = (id) => document.getElementById(id);

  class AuthError extends Error {}

  // ------------------------------------------------------------------ formatting
  const nf = (digits) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const money = nf(2);
  const whole = nf(0);
  const fine = nf(4);
  const qtyFmt = new Intl.NumberFormat("en-US", { maximumFractionDigits: 6 });
  const isNum = (x) => typeof x === "number" && Number.isFinite(x);
  const fmtMoney = (x) => (isNum(x) ? money.format(x) : "—");
  const fmtQty = (x) => (isNum(x) ? (Math.abs(x) >= 1000 ? whole : qtyFmt).format(x) : "—");
  const fmtPrice = (x) => (isNum(x) ? (Math.abs(x) >= 1000 ? money : fine).format(x) : "—");
  const fmtPct = (x) => (isNum(x) ? `${(100 * x).toFixed(1)}%` : "—");
  const signClass = (x) => (isNum(x) && x > 0 ? "pos" : isNum(x) && x < 0 ? "neg" : "");

  function fmtAge(s) {
    if (!isNum(s)) return "never";
    if (s < 10) return `${s.toFixed(1)} s ago`;
    if (s < 120) return `${Math.round(s)} s ago`;
    if (s < 7200) return `${Math.round(s / 60)} min ago`;
    return `${(s / 3600).toFixed(1)} h ago`;
  }

  function fmtTime(ts) {
    if (typeof ts === "string") {
      const d = new Date(ts);
      return Number.isNaN(d.getTime()) ? ts : d.toISOString().replace("T", " ").slice(0, 19);
    }
    if (!isNum(ts)) return "—";
    // ns since the epoch, or (a simulated venue) since its start, placed at its first session as the
    // loop places its bars (trade2026.live._stream._bar_time), so fills and the equity curve agree
    const ms = ts >= 1e17 ? ts / 1e6 : SIM_EPOCH_MS + ts / 1e6;
    return new Date(ms).toISOString().replace("T", " ").slice(0, 23);
  }

  function tsValue(ts, i) {
    if (typeof ts === "string") {
      const t = Date.parse(ts);
      return Number.isNaN(t) ? i : t;
    }
    return isNum(ts) ? ts : i;
  }

  // ------------------------------------------------------------------ DOM helpers (text only)
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  function row(cells) {
    const tr = document.createElement("tr");
    for (const [text, cls] of cells) tr.append(el("td", { class: cls || "", text }));
    return tr;
  }

  function fillBody(tableId, rows, emptyText, width) {
    const body = $(tableId).tBodies[0];
    if (!rows.length) {
      const td = el("td", { class: "empty", text: emptyText });
      td.colSpan = width;
      body.replaceChildren(el("tr", {}, td));
    } else {
      body.replaceChildren(...rows);
    }
  }

  function say(text, kind = "info") {
    const m = $("message");
    m.textContent = text;
    m.className = `message ${kind}`;
  }

  // ------------------------------------------------------------------ API
  async function api(path, { method = "GET", body } = {}) {
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
    const init = { method, headers, cache: "no-store", credentials: "omit" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const r = await fetch(path, init);
    const text = await r.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = text;
    }
    if (r.status === 401 || r.status === 403) {
      throw new AuthError(detail(data) || "the token was refused");
    }
    if (!r.ok && !(r.status === 503 && path === "/readyz")) {
      throw new Error(detail(data) || `${r.status} ${r.statusText}`);
    }
    return data;
  }

  function detail(data) {
    if (!data) return "";
    if (typeof data === "string") return data;
    const d = data.detail;
    if (typeof d === "string") return data.reason ? `${d} [${data.reason}]` : d; // a risk denial's reason code
    return d ? JSON.stringify(d) : "";
  }

  function guard(promise) {
    return promise.catch((e) => {
      if (e instanceof AuthError) logout(e.message);
      else say(e.message, "bad");
    });
  }

  // ------------------------------------------------------------------ header
  function renderState(s) {
    if (!s) return;
    if (s.run_id) $("run-id").textContent = [s.run_id, s.venue].filter(Boolean).join(" · ");
    const st = String(s.state || "—").toUpperCase();
    const badge = $("state");
    badge.textContent = st;
    badge.className = `badge ${st === "ACTIVE" ? "ok" : st === "REDUCING" ? "warn" : "bad"}`;
    $("killed").hidden = !s.killed;
    $("resume").disabled = Boolean(s.killed);
    if (typeof s.reconciled === "boolean") renderReconciled(s.reconciled);
  }

  function link(id, h) {
    const node = $(id);
    if (!h) {
      node.textContent = "—";
      return;
    }
    const up = Boolean(h.connected);
    const stale = isNum(h.last_event_age_s) && h.last_event_age_s > 10;
    node.className = up && !stale ? "ok-text" : up ? "warn-text" : "bad-text";
    node.textContent = `${up ? "● connected" : "○ disconnected"}, ${fmtAge(h.last_event_age_s)}`;
  }

  function renderHealth(h) {
    link("feed", h.feed);
    link("venue", h.venue);
    const loop = $("loop");
    const slow = !isNum(h.loop_age_s) || h.loop_age_s > 5;
    loop.className = slow ? "warn-text" : "ok-text";
    const lag = isNum(h.journal_lag) ? ` · journal lag ${h.journal_lag}` : "";
    loop.textContent = `${fmtAge(h.loop_age_s)}${lag}`;
    if (typeof h.reconciled === "boolean") renderReconciled(h.reconciled);
    if (h.state) renderState({ state: h.state, killed: h.killed });
  }

  function renderReconciled(done) {
    const node = $("reconciled");
    if (!done) {
      node.className = "warn-text";
      node.textContent = "in progress: nothing is sent yet";
      return;
    }
    const r = reconciliation;
    const diffs = r && Array.isArray(r.differences) ? r.differences : [];
    node.className = diffs.length ? "bad-text" : "ok-text";
    if (!r) node.textContent = "done";
    else if (diffs.length) node.textContent = `differences (halted): ${diffs.join("; ")}`;
    else node.textContent = `done · ${r.replayed ?? 0} replayed, no differences`;
  }

  // ------------------------------------------------------------------ panels
  function renderPositions(list) {
    if (!Array.isArray(list)) return;
    const rows = list.map((p) =>
      row([
        [p.symbol],
        [fmtQty(p.qty), "num"],
        [p.qty ? fmtPrice(p.avg_price) : "—", "num"],
        [fmtPrice(p.mark), "num"],
        [fmtMoney(p.unrealised), `num ${signClass(p.unrealised)}`],
        [fmtMoney(p.realised), `num ${signClass(p.realised)}`],
        [fmtMoney(p.fees), "num"],
      ]),
    );
    fillBody("positions", rows, "no positions", 7);
    const sym = $("o-symbol");
    if (!sym.value && list.length) sym.value = list[0].symbol;
  }

  function renderPnl(p) {
    if (!p) return;
    const parts = [
      ["Equity", p.equity],
      ["Cash", p.cash],
      ["Realised", p.realised],
      ["Unrealised", p.unrealised],
      ["Fees", p.fees],
    ].filter(([, v]) => v !== undefined);
    $("pnl-totals").replaceChildren(
      ...parts.map(([k, v]) => el("span", { class: "kv" }, el("span", { class: "muted", text: `${k} ` }), el("strong", { class: k === "Realised" || k === "Unrealised" ? signClass(v) : "", text: fmtMoney(v) }))),
    );
    if (Array.isArray(p.curve)) drawChart(p.curve);
  }

  function renderOrders(list) {
    if (!Array.isArray(list)) return;
    const rows = list.map((o) => {
      const tr = row([
        [o.client_id, "mono"],
        [o.symbol],
        [fmtQty(o.qty), "num"],
        [fmtQty(o.filled), "num"],
        [isNum(o.limit) ? fmtPrice(o.limit) : "market", "num"],
        [o.status],
      ]);
      const b = el("button", { type: "button", class: "small", text: "Cancel", "aria-label": `Cancel order ${o.client_id}` });
      b.dataset.clientId = o.client_id;
      b.disabled = o.status === "pending_cancel";
      b.addEventListener("click", () => cancelOrder(o.client_id, b));
      tr.append(el("td", {}, b));
      return tr;
    });
    fillBody("orders", rows, "no working orders", 7);
    $("cancel-all").disabled = !list.length;
  }

  function addFills(list) {
    if (!Array.isArray(list) || !list.length) return;
    for (const f of list) {
      const seq = isNum(f.seq) ? f.seq : `${f.trade_id}`;
      fills.set(seq, f);
      if (isNum(f.seq)) lastFillSeq = Math.max(lastFillSeq, f.seq);
    }
    const sorted = [...fills.values()].sort((a, b) => (b.seq ?? 0) - (a.seq ?? 0));
    for (const f of sorted.slice(TAPE)) fills.delete(isNum(f.seq) ? f.seq : `${f.trade_id}`);
    const rows = sorted.slice(0, TAPE).map((f) =>
      row([
        [fmtTime(f.ts), "mono"],
        [String(f.seq ?? ""), "num"],
        [f.client_id, "mono"],
        [f.symbol],
        [fmtQty(f.qty), `num ${f.qty > 0 ? "pos" : "neg"}`],
        [fmtPrice(f.price), "num"],
        [fmtMoney(f.fee), "num"],
      ]),
    );
    fillBody("fills", rows, "no fills yet", 7);
  }

  function meter(label, share, text) {
    const known = isNum(share);
    const pct = known ? Math.max(0, Math.min(1, share)) * 100 : 0;
    const level = !known ? "off" : share >= 0.9 ? "bad" : share >= 0.6 ? "warn" : "ok";
    const bar = el("div", { class: "bar" }, el("div", { class: `fill ${level}` }));
    bar.firstChild.style.width = `${pct}%`;
    bar.setAttribute("role", "meter");
    bar.setAttribute("aria-label", label);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", String(Math.round(pct)));
    bar.setAttribute("aria-valuetext", text);
    return el("div", { class: "limit" }, el("span", { class: "name", text: label }), bar, el("span", { class: "used", text }));
  }

  function renderRisk(r) {
    if (!r) return;
    const limits = Array.isArray(r.limits) ? r.limits : [];
    $("limits").replaceChildren(
      ...(limits.length
        ? limits.map((l) => {
            const off = l.limit === null || l.limit === undefined || !isNum(l.limit);
            const text = off ? "off" : `${fmtPct(l.share)} · ${fmtQty(l.used)} of ${fmtQty(l.limit)}`;
            return meter(l.name, off ? null : l.share, text);
          })
        : [el("p", { class: "muted", text: "no limits set" })]),
    );
    const b = r.bucket;
    if (b && isNum(b.capacity)) {
      // drawn like the limits: the share used, so an empty bucket (orders denied) is the red end
      const share = b.capacity > 0 ? 1 - b.tokens / b.capacity : null;
      const text = `${fmtQty(Math.floor(b.tokens))} of ${fmtQty(b.capacity)} tokens left · refills ${fmtQty(b.rate_per_s)}/s`;
      $("bucket").replaceChildren(meter("rate_per_s", share, text));
    } else {
      $("bucket").replaceChildren(el("p", { class: "muted", text: "no rate limit" }));
    }
    const rejects = Object.entries(r.rejects || {}).sort((a, z) => z[1] - a[1]);
    fillBody("rejects", rejects.map(([k, n]) => row([[k, "mono"], [String(n), "num"]])), "no rejects", 2);
  }

  // ------------------------------------------------------------------ the chart (inline SVG)
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs = {}) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else node.setAttribute(k, String(v));
    }
    return node;
  }

  function drawChart(curve) {
    const box = $("chart");
    const pts = curve.filter((p) => isNum(p.equity));
    if (pts.length < 2) {
      box.replaceChildren(el("p", { class: "muted", text: "the equity curve starts after the first bars" }));
      return;
    }
    const step = Math.ceil(pts.length / 1500);
    const sample = pts.filter((_, i) => i % step === 0 || i === pts.length - 1);
    let peak = -Infinity;
    const data = sample.map((p, i) => {
      peak = Math.max(peak, p.equity);
      const dd = isNum(p.drawdown) ? p.drawdown : p.equity / peak - 1;
      return { x: tsValue(p.ts, i), eq: p.equity, dd: dd > 0 ? -dd : dd };
    });
    const W = 600, H = 260, L = 78, R = 8, T = 8, EQH = 160, GAP = 22, DDH = H - T - EQH - GAP - 20;
    const x0 = data[0].x, x1 = data[data.length - 1].x || x0 + 1;
    let lo = Math.min(...data.map((d) => d.eq)), hi = Math.max(...data.map((d) => d.eq));
    if (hi - lo < 1e-9) { lo -= 1; hi += 1; }
    const ddMin = Math.min(-1e-6, ...data.map((d) => d.dd));
    const X = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
    const YE = (y) => T + (1 - (y - lo) / (hi - lo)) * EQH;
    const DD0 = T + EQH + GAP;
    const YD = (d) => DD0 + (d / ddMin) * DDH;
    const line = data.map((d, i) => `${i ? "L" : "M"}${X(d.x).toFixed(1)},${YE(d.eq).toFixed(1)}`).join("");
    const area = `M${X(x0).toFixed(1)},${DD0}` + data.map((d) => `L${X(d.x).toFixed(1)},${YD(d.dd).toFixed(1)}`).join("") + `L${X(x1).toFixed(1)},${DD0}Z`;
    const last = data[data.length - 1];
    const maxDd = Math.min(...data.map((d) => d.dd));
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "plot" });
    root.append(
      svg("title", { text: `Equity ${fmtMoney(last.eq)}, max drawdown ${fmtPct(maxDd)}` }),
      svg("line", { x1: L, x2: W - R, y1: YE(hi), y2: YE(hi), class: "grid" }),
      svg("line", { x1: L, x2: W - R, y1: YE(lo), y2: YE(lo), class: "grid" }),
      svg("line", { x1: L, x2: W - R, y1: DD0, y2: DD0, class: "grid" }),
      svg("text", { x: L - 6, y: YE(hi) + 4, class: "axis", "text-anchor": "end", text: fmtMoney(hi) }),
      svg("text", { x: L - 6, y: YE(lo) + 4, class: "axis", "text-anchor": "end", text: fmtMoney(lo) }),
      svg("text", { x: L - 6, y: DD0 + 4, class: "axis", "text-anchor": "end", text: "0%" }),
      svg("text", { x: L - 6, y: DD0 + DDH + 4, class: "axis", "text-anchor": "end", text: fmtPct(ddMin) }),
      svg("text", { x: L, y: DD0 - 6, class: "axis", text: "drawdown" }),
      svg("path", { d: area, class: "dd" }),
      svg("path", { d: line, class: "eq" }),
      svg("text", { x: L, y: H - 4, class: "axis", text: fmtTime(sample[0].ts) }),
      svg("text", { x: W - R, y: H - 4, class: "axis", "text-anchor": "end", text: fmtTime(sample[sample.length - 1].ts) }),
    );
    box.setAttribute("aria-label", `Equity curve: last ${fmtMoney(last.eq)}, range ${fmtMoney(lo)} to ${fmtMoney(hi)}; max drawdown ${fmtPct(maxDd)}`);
    box.replaceChildren(root);
  }

  // ------------------------------------------------------------------ live updates
  function applySnapshot(s) {
    lastSnapshot = performance.now();
    renderState(s.state);
    renderPositions(s.positions);
    if (s.pnl) renderPnl({ ...s.pnl, curve: undefined });
    renderRisk(s.risk);
    renderOrders(s.working);
    addFills(s.fills); // the fills since the previous event
  }

  function setStream(text, cls) {
    const node = $("stream");
    node.textContent = text;
    node.className = cls;
  }

  function handleBlock(block) {
    let name = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (!line || line.startsWith(":")) continue; // a keep-alive comment
      const i = line.indexOf(":");
      const field = i < 0 ? line : line.slice(0, i);
      const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
      if (field === "event") name = value;
      else if (field === "data") data.push(value);
    }
    if (!data.length || name !== "snapshot") return;
    try {
      applySnapshot(JSON.parse(data.join("\n")));
    } catch (e) {
      console.error("bad snapshot", e);
    }
  }

  async function runStream() {
    let wait = 500;
    while (token) {
      const ctl = new AbortController();
      streamAbort = ctl;
      try {
        const r = await fetch("/api/v1/events", {
          headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
          signal: ctl.signal,
          cache: "no-store",
          credentials: "omit",
        });
        if (r.status === 401 || r.status === 403) {
          logout("the token was refused");
          return;
        }
        if (!r.ok || !r.body) throw new Error(`${r.status}`);
        setStream("● live", "ok-text");
        wait = 500;
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf = (buf + value).replace(/\r\n?/g, "\n");
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            handleBlock(buf.slice(0, i));
            buf = buf.slice(i + 2);
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      if (!token) return;
      setStream("○ reconnecting…", "warn-text");
      await new Promise((res) => setTimeout(res, wait));
      wait = Math.min(wait * 2, 5000);
      guard(loadFills());
    }
  }

  // ------------------------------------------------------------------ polling (health, curve, fallback)
  async function loadHealth() {
    const h = await api("/health");
    renderHealth(h);
    if (h.reconciled && !reconciliation) {
      const r = await api("/readyz");
      if (r && r.ready) {
        reconciliation = r.reconciliation || {};
        renderReconciled(true);
      }
    }
  }

  async function loadFills() {
    addFills(await api(`/api/v1/fills?since=${lastFillSeq}`));
  }

  async function loadAll() {
    const [state, positions, orders, pnl, risk] = await Promise.all([
      api("/api/v1/state"),
      api("/api/v1/positions"),
      api("/api/v1/orders?scope=working"),
      api("/api/v1/pnl"),
      api("/api/v1/risk"),
    ]);
    renderState(state);
    renderPositions(positions);
    renderOrders(orders);
    renderPnl(pnl);
    renderRisk(risk);
    await loadFills();
    await loadHealth();
  }

  function tick() {
    guard(loadHealth());
    if (performance.now() - lastSnapshot > 3000) guard(loadAll()); // the stream is quiet or down
  }

  // the whole curve (up to the loop's cap) comes with /api/v1/pnl, so it is fetched less often
  const curveTick = () => guard(api("/api/v1/pnl").then(renderPnl));

  // ------------------------------------------------------------------ actions
  const reason = () => $("reason").value.trim() || "operator page";

  async function act(path, body, done) {
    const out = await api(path, { method: "POST", body });
    say(done(out), "ok");
    await loadAll();
    return out;
  }

  function cancelOrder(clientId, button) {
    button.disabled = true;
    guard(act(`/api/v1/orders/${encodeURIComponent(clientId)}/cancel`, { reason: reason() }, () => `cancel of ${clientId} sent`));
  }

  // the order the API answers with (a denial is a 409/422 whose detail and reason code `say` shows)
  const orderText = (o) => `order ${o.client_id} ${o.status}${o.reason ? `: ${o.reason}` : ""}`;

  function bindActions() {
    $("halt").addEventListener("click", () => guard(act("/api/v1/halt", { reason: reason() }, () => "trading halted")));
    $("reduce").addEventListener("click", () => guard(act("/api/v1/reduce", { reason: reason() }, () => "reduce-only: only orders that reduce a position pass")));
    $("resume").addEventListener("click", () => guard(act("/api/v1/resume", { reason: reason() }, () => "trading resumed")));
    $("cancel-all").addEventListener("click", () => guard(act("/api/v1/cancel-all", { reason: reason() }, () => "cancel of every working order sent")));
    $("logout").addEventListener("click", () => logout("disconnected: the token is forgotten"));
    $("order-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const body = { symbol: $("o-symbol").value.trim(), qty: Number($("o-qty").value), reason: reason() };
      const limit = $("o-limit").value.trim();
      if (limit) body.limit = Number(limit);
      guard(act("/api/v1/orders", body, orderText));
    });

    const dialog = $("kill-dialog");
    const confirmBox = $("kill-confirm");
    $("kill").addEventListener("click", () => {
      confirmBox.value = "";
      $("kill-go").disabled = true;
      dialog.showModal();
      confirmBox.focus();
    });
    confirmBox.addEventListener("input", () => {
      $("kill-go").disabled = confirmBox.value !== "KILL";
    });
    $("kill-cancel").addEventListener("click", () => dialog.close());
    $("kill-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (confirmBox.value !== "KILL") return;
      const why = $("kill-reason").value.trim() || "operator kill switch";
      dialog.close();
      guard(act("/api/v1/kill", { confirm: "KILL", reason: why }, () => "kill switch set: orders canceled, positions flattening, trading latched halted"));
    });
  }

  // ------------------------------------------------------------------ session
  function logout(why) {
    token = null;
    if (streamAbort) streamAbort.abort();
    streamAbort = null;
    for (const t of timers) clearInterval(t);
    timers = [];
    reconciliation = null;
    fills.clear();
    lastFillSeq = 0;
    $("app").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = why || "";
    $("token").focus();
  }

  async function login(ev) {
    ev.preventDefault();
    const input = $("token");
    token = input.value.trim();
    input.value = "";
    $("login-error").textContent = "";
    $("login-button").disabled = true;
    try {
      await api("/api/v1/state");
    } catch (e) {
      token = null;
      const why = e instanceof AuthError ? "refused" : e instanceof TypeError ? "cannot reach the API" : "the API answered";
      $("login-error").textContent = `${why}: ${e.message}`; // a fetch that never got an answer is a TypeError
      $("login-button").disabled = false;
      return;
    }
    $("login-button").disabled = false;
    $("login").hidden = true;
    $("app").hidden = false;
    setStream("connecting…", "warn-text");
    await guard(loadAll());
    runStream();
    timers.push(setInterval(tick, 1500), setInterval(curveTick, 5000));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("login-form").addEventListener("submit", login);
    bindActions();
    $("token").focus();
  });
})();
