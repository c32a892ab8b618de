// The RL page: a DQN agent learning live (after Karpathy's ConvNetJS rldemo). The server runs the agent;
// this draws the environment from the observation, the Q-value of each action, the episode returns and
// the counts, and posts the controls. In "very fast" mode the environment is not drawn.
"use strict";

(() => {
  const {element, panel, field, lineChart, COLORS} = kgenLab;
  const SPEEDS = ["normal", "fast", "very fast"];
  const ENVS = ["CartPole-v1", "Acrobot-v1"];
  const SETTINGS = [  // [settings key, label, input id, spec]
    ["learning_rate", "learning rate at the start", "rl-learning-rate", {value: 0.001, min: 0, max: 0.1}],
    ["hidden_units", "hidden units", "rl-hidden-units", {value: 64, min: 4, max: 512, step: 1}],
    ["layers", "hidden layers", "rl-layers", {value: 2, min: 1, max: 4, step: 1}],
    ["batch_size", "batch size", "rl-batch-size", {value: 256, min: 8, max: 1024, step: 1}],
    ["exploration_steps", "exploration steps", "rl-exploration-steps", {value: 10000, min: 0, max: 1000000, step: 1000}],
    ["seed", "seed", "rl-seed", {value: 0, min: 0, step: 1}],
  ];
  const view = {title: "RL: DQN"};
  let post, nodes, last = null, chartKey = null, drewSkipNotice = false;

  view.mount = (root, control) => {
    // The shell shows the server's message for a refused control; the inputs go back to the server's values.
    post = payload => control(payload).catch(() => { if (last) syncInputs(last, true); });
    nodes = {
      env: element("canvas", {id: "rl-env", width: 480, height: 220}),
      q: element("canvas", {id: "rl-q", width: 480, height: 96}),
      chart: element("canvas", {id: "rl-return-chart", width: 480, height: 220}),
      legend: element("div", {class: "legend"}),
    };
    const stat = (label, id) => {
      nodes[id] = element("span", {id, class: "stat", text: "-"});
      return element("div", {}, [label + " ", nodes[id]]);
    };
    const button = (id, text, payload) => element("button", {id, text, onclick: () => post(payload)});
    nodes.presetButton = button("rl-preset", "load pretrained preset", {action: "preset"});
    const controls = element("div", {class: "controls"}, [
      element("div", {class: "buttons"}, [
        button("rl-play", "play", {action: "play"}),
        button("rl-pause", "pause", {action: "pause"}),
        button("rl-step", "one step", {action: "step"}),
        button("rl-reset", "reset", {action: "reset"}),
        nodes.presetButton,
      ]),
      field("speed", "rl-speed", {options: SPEEDS, value: "normal"}, speed => post({action: "speed", speed})),
      field("learning", "rl-learning", {value: true}, learning => post({action: "learning", learning})),
      stat("env steps", "rl-steps"),
      stat("env steps/s", "rl-rate"),
      stat("episodes", "rl-episodes"),
      stat("last return", "rl-last-return"),
      stat("epsilon", "rl-epsilon"),
      stat("replay size", "rl-replay"),
      stat("learning rate", "rl-rate-now"),
      stat("agent", "rl-source"),
    ]);
    const settings = element("div", {class: "controls"}, [
      element("p", {text: "Applied by reset; the learning rate also at once (it decays to a tenth over 200,000 training steps)."}),
      field("environment", "rl-env-name", {options: ENVS, value: ENVS[0]}, env => post({action: "set", env})),
      ...SETTINGS.map(([key, label, id, spec]) => field(label, id, spec, value => post({action: "set", [key]: value}))),
    ]);
    root.appendChild(panel("Environment", [nodes.env, element("h2", {text: "Q-values of the observation"}), nodes.q]));
    root.appendChild(panel("Agent", [controls]));
    root.appendChild(panel("Episode return", [nodes.chart, nodes.legend]));
    root.appendChild(panel("Hyperparameters", [settings]));
  };

  // An input shows the server's value unless the user is editing it (`force`: even then).
  function sync(id, value, force) {
    const input = document.getElementById(id);
    if (!input || (input === document.activeElement && !force)) return;
    if (input.type === "checkbox") input.checked = value;
    else if (String(input.value) !== String(value)) input.value = value;
  }

  function syncInputs(state, force = false) {
    sync("rl-speed", state.speed, force);
    sync("rl-learning", state.learning, force);
    sync("rl-env-name", state.settings.env, force);
    for (const [key, , id] of SETTINGS) sync(id, state.settings[key], force);
  }

  view.update = state => {
    nodes["rl-steps"].textContent = String(state.env_steps);
    nodes["rl-rate"].textContent = state.steps_per_second.toFixed(0);
    nodes["rl-episodes"].textContent = String(state.episodes);
    nodes["rl-last-return"].textContent = state.last_return === null ? "-" : state.last_return.toFixed(1);
    nodes["rl-epsilon"].textContent = state.epsilon.toFixed(3) + (state.learning ? "" : " (greedy)");
    nodes["rl-replay"].textContent = String(state.replay_size);
    nodes["rl-rate-now"].textContent = state.learning_rate === null ? "- (preset)" : state.learning_rate.toExponential(2);
    nodes["rl-source"].textContent = state.source;
    nodes.presetButton.textContent = `load pretrained ${state.preset}`;
    last = state;
    syncInputs(state);

    if (state.speed === "very fast") {
      if (!drewSkipNotice) drawNotice(nodes.env, "very fast: drawing skipped");
      drewSkipNotice = true;
    } else {
      drewSkipNotice = false;
      if (state.observation === null) drawNotice(nodes.env, "press play or one step");
      else if (state.env === "Acrobot-v1") drawAcrobot(nodes.env, state.observation);
      else drawCartPole(nodes.env, state.observation);
    }
    drawQ(nodes.q, state.q_values, state.action_names);

    const key = [state.source, state.training_steps === 0, state.episodes, state.returns.length, state.greedy_returns.length].join("/");
    if (key !== chartKey) {
      chartKey = key;
      const [training, greedy] = state.episodes_per_point;
      lineChart(nodes.chart, [
        {label: `training return${training > 1 ? ` (mean of ${training})` : ""}`, points: state.returns},
        {label: `greedy return${greedy > 1 ? ` (mean of ${greedy})` : ""}`, points: state.greedy_returns},
      ], nodes.legend);
      nodes.chart.dataset.points = String(state.returns.length + state.greedy_returns.length);
    }
  };

  view.rates = (state, fps) => `${state.steps_per_second.toFixed(0)} env steps/s · ${fps} states drawn/s`;

  // ------------------------------------------------------------------ drawing

  function drawNotice(canvas, text) {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#888";
    ctx.font = "14px sans-serif";
    ctx.textAlign = "center";
    ctx.fillText(text, canvas.width / 2, canvas.height / 2);
    ctx.textAlign = "start";
  }

  // CartPole-v1: [cart position, cart velocity, pole angle, pole angular velocity]; the episode ends
  // at |x| > 2.4 or |angle| > 12 degrees. The pole is 1 unit long, as in gymnasium's renderer.
  function drawCartPole(canvas, [x, , angle]) {
    const ctx = canvas.getContext("2d");
    const width = canvas.width, height = canvas.height, scale = width / 5.2;
    const px = value => width / 2 + value * scale, track = height - 45;
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = "#999";
    ctx.beginPath();
    ctx.moveTo(px(-2.4), track);
    ctx.lineTo(px(2.4), track);
    for (const edge of [-2.4, 2.4]) { ctx.moveTo(px(edge), track - 8); ctx.lineTo(px(edge), track + 8); }
    ctx.stroke();
    const cartWidth = 0.4 * scale, cartHeight = 0.24 * scale;
    ctx.fillStyle = "#37474f";
    ctx.fillRect(px(x) - cartWidth / 2, track - cartHeight / 2, cartWidth, cartHeight);
    ctx.strokeStyle = Math.abs(angle) > 0.2095 ? COLORS[1] : "#c68642";
    ctx.lineWidth = 8;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(px(x), track - cartHeight / 2);
    ctx.lineTo(px(x) + Math.sin(angle) * scale, track - cartHeight / 2 - Math.cos(angle) * scale);
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = "#666";
    ctx.font = "11px sans-serif";
    ctx.fillText(`x ${x.toFixed(2)}   angle ${(angle * 180 / Math.PI).toFixed(1)}°`, 6, height - 8);
  }

  // Acrobot-v1: [cos t1, sin t1, cos t2, sin t2, dt1, dt2], t1 = 0 hanging down, t2 relative to the first
  // link; the episode ends when the tip rises one link length above the pivot (the dashed line).
  function drawAcrobot(canvas, [c1, s1, c2, s2]) {
    const ctx = canvas.getContext("2d");
    const width = canvas.width, height = canvas.height, scale = (height - 20) / 4.2;
    const cx = width / 2, cy = height / 2;
    const c12 = c1 * c2 - s1 * s2, s12 = s1 * c2 + c1 * s2;
    const x1 = s1, y1 = -c1, x2 = x1 + s12, y2 = y1 - c12;
    ctx.clearRect(0, 0, width, height);
    ctx.strokeStyle = "#999";
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(cx - 2.2 * scale, cy - scale);
    ctx.lineTo(cx + 2.2 * scale, cy - scale);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.strokeStyle = "#37474f";
    ctx.lineWidth = 8;
    ctx.lineCap = "round";
    ctx.beginPath();
    ctx.moveTo(cx, cy);
    ctx.lineTo(cx + x1 * scale, cy - y1 * scale);
    ctx.lineTo(cx + x2 * scale, cy - y2 * scale);
    ctx.stroke();
    ctx.lineWidth = 1;
    ctx.fillStyle = COLORS[3];
    ctx.beginPath();
    ctx.arc(cx, cy, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = "#666";
    ctx.font = "11px sans-serif";
    ctx.fillText(`tip height ${y2.toFixed(2)} (goal > 1)`, 6, height - 8);
  }

  // One horizontal bar per action, from zero; the greedy action (the largest Q) is highlighted.
  function drawQ(canvas, values, names) {
    const ctx = canvas.getContext("2d");
    const width = canvas.width, height = canvas.height;
    ctx.clearRect(0, 0, width, height);
    if (!values.length) return;
    const best = values.indexOf(Math.max(...values));
    const low = Math.min(0, ...values), high = Math.max(0, ...values);
    const span = Math.max(high - low, 1e-6), left = 90, right = width - 70;
    const px = value => left + (value - low) / span * (right - left);
    const row = height / values.length;
    ctx.font = "12px sans-serif";
    values.forEach((value, i) => {
      const y = i * row + row * 0.2, barHeight = row * 0.6;
      ctx.fillStyle = "#444";
      ctx.fillText(names[i] || `action ${i}`, 4, y + barHeight * 0.75);
      ctx.fillStyle = i === best ? COLORS[2] : "#b0bec5";
      ctx.fillRect(Math.min(px(0), px(value)), y, Math.abs(px(value) - px(0)), barHeight);
      ctx.fillStyle = "#444";
      ctx.fillText(value.toFixed(3), right + 6, y + barHeight * 0.75);
    });
    ctx.strokeStyle = "#999";
    ctx.beginPath();
    ctx.moveTo(px(0), 0);
    ctx.lineTo(px(0), height);
    ctx.stroke();
  }

  kgenLab.register("rl", view);
})();
