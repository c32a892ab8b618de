// The lab's shell: tabs, one state stream per open page, controls posted as JSON,
// and the small drawing helpers the pages share. No framework, nothing fetched from outside.
"use strict";

const kgenLab = (() => {
  const views = {};
  const order = [];
  let active = null;

  function register(name, view) {
    views[name] = view;
    order.push(name);
  }

  function showError(message) {
    const bar = document.getElementById("error");
    bar.textContent = message || "";
    bar.hidden = !message;
  }

  // POST {"action": ..., ...} to the page; resolves with the reply, shows the server's message on error.
  async function control(name, payload) {
    const response = await fetch(`/api/${name}/control`, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(payload),
    });
    const reply = await response.json();
    if (!response.ok) {
      showError(reply.error);
      throw new Error(reply.error);
    }
    showError(null);
    return reply;
  }

  // Each page's latest state is drawn once per animation frame; the frame rate is what the page draws.
  function open(name) {
    const view = views[name];
    if (!view.root) {
      view.root = document.createElement("section");
      view.root.className = "page";
      view.root.id = `page-${name}`;
      document.getElementById("pages").appendChild(view.root);
      view.mount(view.root, payload => control(name, payload));
      view.frames = [];
      view.pending = null;
      view.source = new EventSource(`/api/${name}/stream`);
      view.source.onmessage = event => {
        const state = JSON.parse(event.data);
        if (state.loading !== true) view.pending = state;   // true: the page is still building its models
      };
      const draw = () => {
        if (view.pending) {
          const state = view.pending;
          view.pending = null;
          view.update(state);
          const now = performance.now();
          view.frames.push(now);
          while (view.frames.length && view.frames[0] < now - 1000) view.frames.shift();
          if (state.error) showError(state.error);
          if (name === active) {
            document.getElementById("rates").textContent = view.rates ? view.rates(state, view.frames.length) : "";
          }
        }
        requestAnimationFrame(draw);
      };
      requestAnimationFrame(draw);
    }
    for (const other of order) {
      if (views[other].root) views[other].root.hidden = other !== name;
      document.getElementById(`tab-${other}`).classList.toggle("active", other === name);
    }
    active = name;
    location.hash = name;
  }

  function start() {
    const tabs = document.getElementById("tabs");
    for (const name of order) {
      const button = document.createElement("button");
      button.id = `tab-${name}`;
      button.textContent = views[name].title;
      button.onclick = () => open(name);
      tabs.appendChild(button);
    }
    const fromHash = () => {
      const wanted = location.hash.slice(1);
      if (wanted !== active) open(order.includes(wanted) ? wanted : order[0]);
    };
    window.addEventListener("hashchange", fromHash);
    fromHash();
  }

  // ------------------------------------------------------------------ DOM helpers

  function element(tag, attributes = {}, children = []) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    for (const child of children) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    return node;
  }

  function panel(title, children) {
    return element("div", {class: "panel"}, [element("h2", {text: title}), ...children]);
  }

  // A labelled <select>, <input type=number> or checkbox; `onchange(value)` gets the typed value.
  function field(label, id, spec, onchange) {
    let input;
    if (spec.options) {
      input = element("select", {id});
      for (const option of spec.options) input.appendChild(element("option", {value: option, text: option}));
      input.value = spec.value;
    } else if (typeof spec.value === "boolean") {
      input = element("input", {id, type: "checkbox"});
      input.checked = spec.value;
    } else {
      input = element("input", {id, type: "number", step: spec.step || "any", value: spec.value});
      if (spec.min !== undefined) input.min = spec.min;
      if (spec.max !== undefined) input.max = spec.max;
    }
    input.addEventListener("change", () => {
      const value = input.type === "checkbox" ? input.checked
        : input.type === "number" ? Number(input.value) : input.value;
      onchange(value);
    });
    return element("label", {}, [label + " ", input]);
  }

  // ------------------------------------------------------------------ charts

  const COLORS = ["#1e88e5", "#e53935", "#43a047", "#fb8c00", "#8e24aa", "#00897b"];

  // Lines over a shared x axis: series = [{label, points: [[x, y], ...]}]; the legend carries the labels.
  function lineChart(canvas, series, legend) {
    const ctx = canvas.getContext("2d");
    const width = canvas.width, height = canvas.height, pad = 28;
    ctx.clearRect(0, 0, width, height);
    const all = series.flatMap(s => s.points);
    if (legend) {
      legend.textContent = "";
      series.forEach((s, i) => legend.appendChild(element("span", {style: `color:${COLORS[i % COLORS.length]}`, text: s.label})));
      canvas.dataset.labels = series.map(s => s.label).join(",");
    }
    if (!all.length) return;
    const xs = all.map(p => p[0]), ys = all.map(p => p[1]).filter(Number.isFinite);
    const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
    let y0 = Math.min(...ys), y1 = Math.max(...ys);
    if (y1 - y0 < 1e-6) { y0 -= 0.5; y1 += 0.5; }
    const px = x => pad + (x - x0) / (x1 - x0) * (width - pad - 4);
    const py = y => height - pad / 2 - (y - y0) / (y1 - y0) * (height - pad);
    ctx.strokeStyle = "#bbb";
    ctx.strokeRect(pad, 2, width - pad - 4, height - pad / 2 - 2);
    ctx.fillStyle = "#666";
    ctx.font = "10px sans-serif";
    ctx.fillText(y1.toPrecision(3), 0, 10);
    ctx.fillText(y0.toPrecision(3), 0, height - pad / 2);
    ctx.fillText(String(Math.round(x1)), width - 40, height - 2);
    series.forEach((s, i) => {
      ctx.strokeStyle = COLORS[i % COLORS.length];
      ctx.beginPath();
      s.points.forEach(([x, y], j) => (j ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
      ctx.stroke();
    });
  }

  return {register, start, control, showError, element, panel, field, lineChart, COLORS};
})();
