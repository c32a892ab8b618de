// The GAN page: kgen.models.GAN on 2-D data, drawn as GAN Lab draws it, with every layer toggleable.
"use strict";

(() => {
  const {element, panel, field, lineChart} = kgenLab;
  const SIZE = 420;
  const ARROW_SCALE = 0.02;   // fixed, so a vanishing gradient (the minimax stall) shows as vanishing arrows
  const ARROW_MAX = 0.12;
  const LAYERS = [["heatmap", "D's output"], ["density", "real density"], ["real", "real samples"],
                  ["fake", "fake samples"], ["gradients", "generator gradients"], ["manifold", "generator manifold"]];
  const SETTINGS = {
    data: {options: ["gaussians", "grid", "ring", "line", "disjoint", "spiral", "drawn"]},
    seed: {min: 0, step: 1},
    loss: {options: ["non_saturating", "minimax", "least_squares", "hinge", "wgan-gp"]},
    train: {options: ["both", "discriminator", "generator"]},
    d_steps: {min: 1, max: 20, step: 1}, g_steps: {min: 1, max: 20, step: 1},
    d_optimizer: {options: ["adam", "sgd", "rmsprop"]}, d_learning_rate: {min: 0},
    g_optimizer: {options: ["adam", "sgd", "rmsprop"]}, g_learning_rate: {min: 0},
    d_layers: {min: 1, max: 6, step: 1}, d_units: {min: 1, max: 256, step: 1},
    g_layers: {min: 1, max: 6, step: 1}, g_units: {min: 1, max: 256, step: 1},
    noise_dim: {min: 1, max: 16, step: 1}, noise: {options: ["gaussian", "uniform"]},
    batch_size: {min: 1, max: 1024, step: 1},
  };
  let control, plane, charts = {}, shown = {}, drawing = null, state = null, inputs = {};

  function mount(root, post) {
    control = post;
    const buttons = element("div", {class: "buttons"}, [
      element("button", {id: "gan-play", text: "play", onclick: () => control({action: "play"})}),
      element("button", {id: "gan-pause", text: "pause", onclick: () => control({action: "pause"})}),
      element("button", {id: "gan-step", text: "one round", onclick: () => control({action: "step"})}),
      element("button", {id: "gan-reset", text: "reset", onclick: () => control({action: "reset"})}),
    ]);
    const settings = Object.entries(SETTINGS).map(([key, spec]) => {
      const label = field(key.replace(/_/g, " "), `gan-${key.replace(/_/g, "-")}`, {...spec, value: spec.options ? spec.options[0] : 0},
        value => control({action: "set", [key]: value}).catch(() => state && sync(state.settings)));
      inputs[key] = label.querySelector("select, input");
      return label;
    });
    const drawButtons = element("div", {class: "buttons"}, [
      element("button", {id: "gan-draw", text: "draw data", onclick: startDrawing}),
      element("button", {id: "gan-use-drawing", text: "use drawing", onclick: useDrawing}),
    ]);
    const toggles = LAYERS.map(([key, label]) => {
      shown[key] = true;
      return field(label, `gan-show-${key}`, {value: true}, value => { shown[key] = value; if (state) draw(state); });
    });
    root.appendChild(panel("Training", [buttons, ...settings, drawButtons]));
    plane = element("canvas", {id: "gan-plane", width: SIZE, height: SIZE});
    plane.addEventListener("mousedown", event => addPoint(event));
    plane.addEventListener("mousemove", event => { if (event.buttons & 1) addPoint(event); });
    const stats = element("div", {class: "stat"}, [
      "round ", element("span", {id: "gan-round", text: "0"}),
      " · ", element("span", {id: "gan-rate", text: "0"}), " rounds/s · ",
      element("span", {id: "gan-fps", text: "0"}), " frames/s · modes covered ",
      element("span", {id: "gan-modes", text: "-"}),
    ]);
    root.appendChild(panel("Data space (the unit square)", [plane, stats, ...toggles]));
    const chartPanel = [];
    for (const [key, title] of [["loss", "Losses"], ["prob", "D(real) and D(fake)"], ["div", "Divergence estimates"]]) {
      charts[key] = {canvas: element("canvas", {id: `gan-${key}-chart`, width: 380, height: 150}), legend: element("div", {class: "legend"})};
      chartPanel.push(element("h2", {text: title}), charts[key].canvas, charts[key].legend);
    }
    root.appendChild(panel("Charts", chartPanel));
  }

  function sync(settings) {
    for (const [key, input] of Object.entries(inputs)) {
      if (document.activeElement !== input && String(input.value) !== String(settings[key])) input.value = settings[key];
    }
  }

  function startDrawing() {
    drawing = [];
    kgenLab.showError("Draw with the mouse on the plane, then press 'use drawing'.");
  }

  function addPoint(event) {
    if (!drawing) return;
    const box = plane.getBoundingClientRect();
    const x = (event.clientX - box.left) / box.width, y = 1 - (event.clientY - box.top) / box.height;
    if (x >= 0 && x <= 1 && y >= 0 && y <= 1 && drawing.length < 2000) drawing.push([x, y]);
    if (state) draw(state);
  }

  function useDrawing() {
    if (!drawing || !drawing.length) { kgenLab.showError("Press 'draw data' and draw some points first."); return; }
    const points = drawing;
    drawing = null;
    control({action: "draw", points}).catch(() => {});
  }

  const px = x => x * SIZE, py = y => (1 - y) * SIZE;

  function heatColor(value) {   // 1 = "real" (green), 0 = "fake" (purple), as GAN Lab colours D
    const t = Math.min(1, Math.max(0, value));
    return [Math.round(166 + (27 - 166) * t), Math.round(97 + (158 - 97) * t), Math.round(220 + (119 - 220) * t)];
  }

  function drawHeatmap(ctx, heatmap) {
    const n = heatmap.size, image = ctx.createImageData(n, n);
    const [lo, hi] = heatmap.range, span = hi - lo || 1;
    heatmap.values.forEach((value, i) => {
      const row = Math.floor(i / n), col = i % n, at = ((n - 1 - row) * n + col) * 4;
      const [r, g, b] = heatColor((value - lo) / span);
      image.data.set([r, g, b, 150], at);
    });
    const tile = document.createElement("canvas");
    tile.width = tile.height = n;
    tile.getContext("2d").putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(tile, 0, 0, SIZE, SIZE);
  }

  // Marching squares: the segments where a grid of values (rows bottom up) crosses `level`.
  function contour(ctx, grid, level) {
    const n = grid.size, v = (r, c) => grid.values[r * n + c], cell = 1 / n;
    const at = (r0, c0, r1, c1) => {
      const a = v(r0, c0), b = v(r1, c1), t = (level - a) / (b - a);
      return [(c0 + 0.5 + t * (c1 - c0)) * cell, (r0 + 0.5 + t * (r1 - r0)) * cell];
    };
    ctx.beginPath();
    for (let r = 0; r < n - 1; r++) {
      for (let c = 0; c < n - 1; c++) {
        const edges = [];
        const corners = [[r, c], [r, c + 1], [r + 1, c + 1], [r + 1, c]];
        for (let k = 0; k < 4; k++) {
          const [r0, c0] = corners[k], [r1, c1] = corners[(k + 1) % 4];
          if ((v(r0, c0) >= level) !== (v(r1, c1) >= level)) edges.push(at(r0, c0, r1, c1));
        }
        for (let k = 0; k + 1 < edges.length; k += 2) {
          ctx.moveTo(px(edges[k][0]), py(edges[k][1]));
          ctx.lineTo(px(edges[k + 1][0]), py(edges[k + 1][1]));
        }
      }
    }
    ctx.stroke();
  }

  function dots(ctx, points, color) {
    ctx.fillStyle = color;
    for (const [x, y] of points) ctx.fillRect(px(x) - 2, py(y) - 2, 4, 4);
  }

  function draw(s) {
    const ctx = plane.getContext("2d");
    ctx.clearRect(0, 0, SIZE, SIZE);
    if (shown.heatmap) drawHeatmap(ctx, s.heatmap);
    if (shown.density) {
      ctx.strokeStyle = "#2e7d32";
      ctx.lineWidth = 1;
      for (const level of [0.1, 0.4]) contour(ctx, s.density, level);
    }
    if (shown.manifold) {
      ctx.strokeStyle = "rgba(80, 80, 80, 0.6)";
      const rows = s.manifold, lines = rows.concat(rows[0].map((_, j) => rows.map(row => row[j])));
      for (const line of rows.length > 1 ? lines : rows) {
        ctx.beginPath();
        line.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
        ctx.stroke();
      }
    }
    if (shown.real) dots(ctx, s.real, "#1b5e20");
    if (shown.fake) dots(ctx, s.fake, "#6a1b9a");
    if (shown.gradients) {
      ctx.strokeStyle = "#d81b60";
      ctx.beginPath();
      s.fake.forEach(([x, y], i) => {
        let [dx, dy] = s.gradients[i].map(g => g * ARROW_SCALE);
        const length = Math.hypot(dx, dy);
        if (length > ARROW_MAX) { dx *= ARROW_MAX / length; dy *= ARROW_MAX / length; }
        ctx.moveTo(px(x), py(y));
        ctx.lineTo(px(x + dx), py(y + dy));
      });
      ctx.stroke();
    }
    if (drawing) dots(ctx, drawing, "#ff6f00");
  }

  function curve(history, key) {
    return history.round.map((round, i) => [round, history[key][i]]).filter(([, y]) => y !== null && Number.isFinite(y));
  }

  function update(s) {
    state = s;
    draw(s);
    sync(s.settings);
    document.getElementById("gan-round").textContent = s.round;
    document.getElementById("gan-rate").textContent = s.rounds_per_second;
    document.getElementById("gan-modes").textContent = s.modes ? `${s.modes.covered} of ${s.modes.count}` : "-";
    const loss = s.settings.loss, h = s.history, d = s.divergence;
    lineChart(charts.loss.canvas, [{label: `D loss (${loss})`, points: curve(h, "d_loss")},
                                   {label: `G loss (${loss})`, points: curve(h, "g_loss")}], charts.loss.legend);
    const scored = s.heatmap.probability ? "D" : "score";
    lineChart(charts.prob.canvas, [{label: `${scored}(real)`, points: curve(h, "d_real")},
                                   {label: `${scored}(fake)`, points: curve(h, "d_fake")}], charts.prob.legend);
    lineChart(charts.div.canvas, [{label: "KL(real || fake)", points: curve(d, "kl")},
                                  {label: "JS", points: curve(d, "js")},
                                  {label: "MMD²", points: curve(d, "mmd")}], charts.div.legend);
  }

  function rates(s, fps) {
    document.getElementById("gan-fps").textContent = fps;
    return `${s.rounds_per_second} rounds/s · ${fps} frames/s`;
  }

  kgenLab.register("gan", {title: "GAN", mount, update, rates});
})();
