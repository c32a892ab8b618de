// The latent explorer: a pretrained GAN or VAE under latent sliders, truncation, a class selector,
// interpolation between two picked samples and, for the VAE, an uploaded image's posterior.
// Every image comes from the server as a PNG data URL; the page only posts controls.
"use strict";

(() => {
  const {element, panel} = kgenLab;
  const MODELS = ["dcgan_fashion_mnist", "cdcgan_fashion_mnist", "vae_fashion_mnist"];
  const SLIDERS = 8;
  const CANDIDATES = 8;
  const TRUNCATION_OFF = 3.1;  // the truncation slider's right end: no truncation
  const MIN_GAP_MS = 33;       // at most ~30 posts a second from one control while dragging

  const CSS = `
    #page-latent img { image-rendering: pixelated; image-rendering: crisp-edges; }
    #page-latent img.latent-big { width: 224px; height: 224px; }
    #page-latent .latent-row { display: grid; grid-template-columns: repeat(8, auto); gap: 4px; justify-content: start; }
    #page-latent .latent-row img { width: 56px; height: 56px; cursor: pointer; border: 3px solid transparent; margin: 0; }
    #page-latent .latent-row img.pick-a { border-color: #1e88e5; }
    #page-latent .latent-row img.pick-b { border-color: #e53935; }
    #page-latent .latent-slider { display: grid; grid-template-columns: 9.5em 14em 4em; align-items: center; gap: 0.4em; }
    #page-latent .latent-note { color: #666; font-size: 0.9em; max-width: 30em; margin: 0.3em 0; }
    #page-latent .latent-a { color: #1e88e5; font-weight: bold; }
    #page-latent .latent-b { color: #e53935; font-weight: bold; }
  `;

  // Posts the newest payload of one control, one request at a time: a drag sends as fast as the
  // server applies (and at most every MIN_GAP_MS), and never builds up a queue.
  function latestOnly(control) {
    let pending = null;
    let busy = false;
    const pump = async () => {
      busy = true;
      while (pending) {
        const payload = pending;
        pending = null;
        const started = performance.now();
        try { await control(payload); } catch (error) { /* the lab's error bar shows the message */ }
        const wait = MIN_GAP_MS - (performance.now() - started);
        if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait));
      }
      busy = false;
    };
    const post = payload => {
      pending = payload;
      if (!busy) pump();
    };
    post.idle = () => !busy && !pending;
    return post;
  }

  function setSrc(img, src) {
    img.hidden = !src;
    if (!src) img.removeAttribute("src");
    else if (img.getAttribute("src") !== src) img.src = src;
  }

  function image(id, className, alt) {
    return element("img", {id, class: className, alt});
  }

  const ui = {};

  function mount(root, control) {
    if (!document.getElementById("latent-style")) document.head.appendChild(element("style", {id: "latent-style", text: CSS}));
    const send = payload => control(payload).catch(() => {});

    // ------------------------------------------------------------ model, base sample, truncation, class
    ui.model = element("select", {id: "latent-model"});
    for (const name of MODELS) ui.model.appendChild(element("option", {value: name, text: name}));
    ui.model.addEventListener("change", () => send({action: "model", model: ui.model.value}));

    ui.seed = element("input", {id: "latent-seed", type: "number", min: 0, step: 1, value: 0});
    const postSeed = seed => {
      if (Number.isInteger(seed) && seed >= 0) send({action: "seed", seed});
      else kgenLab.showError(`seed must be a whole number >= 0; got ${ui.seed.value}`);
    };
    ui.seed.addEventListener("change", () => postSeed(Number(ui.seed.value)));
    const newSample = element("button", {id: "latent-new-sample", text: "new sample",
      onclick: () => { ui.seed.value = Number(ui.seed.value) + 1; postSeed(Number(ui.seed.value)); }});

    ui.truncation = element("input", {id: "latent-truncation", type: "range", min: 0.1, max: TRUNCATION_OFF, step: 0.1, value: TRUNCATION_OFF});
    ui.truncationText = element("span", {class: "stat"});
    ui.postTruncation = latestOnly(control);
    ui.truncation.addEventListener("input", () => {
      const value = Number(ui.truncation.value);
      ui.truncationText.textContent = truncationLabel(value >= TRUNCATION_OFF ? null : value);
      ui.postTruncation({action: "truncation", truncation: value >= TRUNCATION_OFF ? null : value});
    });

    ui.label = element("select", {id: "latent-class", disabled: ""});
    ui.label.addEventListener("change", () => send({action: "label", label: Number(ui.label.value)}));
    ui.cluster = element("p", {class: "latent-note"});
    ui.status = element("p", {class: "latent-note"});

    const model = panel("Model", [
      element("div", {class: "controls"}, [
        element("label", {}, ["Model ", ui.model]),
        element("label", {}, ["Seed ", ui.seed, " ", newSample]),
        element("label", {title: "Resample every latent coordinate with |z_i| above this (GANs; right end: off)"},
          ["Truncation ", ui.truncation, " ", ui.truncationText]),
        element("label", {}, ["Class ", ui.label]),
      ]),
      ui.cluster,
      ui.status,
    ]);

    // ------------------------------------------------------------ the image and its sliders
    ui.image = image("latent-image", "latent-big", "the current image");
    const picture = panel("Image", [element("div", {class: "images"}, [ui.image])]);

    ui.sliders = [];
    const rows = [];
    for (let i = 0; i < SLIDERS; i++) {
      const slider = {
        name: element("span", {text: `direction ${i + 1}`}),
        input: element("input", {id: `latent-slider-${i}`, type: "range", min: -3, max: 3, step: 0.05, value: 0}),
        value: element("span", {class: "stat", text: "0.00"}),
        post: latestOnly(control),
        dragging: false,
      };
      slider.input.addEventListener("input", () => {
        const value = Number(slider.input.value);
        slider.value.textContent = signed(value);
        slider.post({action: "slider", index: i, value});
      });
      slider.input.addEventListener("pointerdown", () => { slider.dragging = true; });
      window.addEventListener("pointerup", () => { slider.dragging = false; });
      ui.sliders.push(slider);
      rows.push(element("div", {class: "latent-slider"}, [slider.name, slider.input, slider.value]));
    }
    ui.sliderNote = element("p", {class: "latent-note"});
    const reset = element("button", {id: "latent-reset", text: "reset sliders", onclick: () => send({action: "reset_sliders"})});
    const directions = panel("Latent directions", [ui.sliderNote, ...rows, element("div", {class: "buttons"}, [reset])]);

    // ------------------------------------------------------------ interpolation
    ui.nextSlot = "a";
    ui.candidates = [];
    const row = element("div", {class: "latent-row"});
    for (let i = 0; i < CANDIDATES; i++) {
      const candidate = image(`latent-candidate-${i}`, "", `candidate ${i + 1}`);
      candidate.addEventListener("click", () => {
        const slot = ui.nextSlot;
        ui.nextSlot = slot === "a" ? "b" : "a";
        send({action: "pick", slot, index: i});
      });
      ui.candidates.push(candidate);
      row.appendChild(candidate);
    }
    const newCandidates = element("button", {id: "latent-new-candidates", text: "new candidates",
      onclick: () => send({action: "candidates", seed: (ui.candidateSeed || 0) + 1})});
    const currentA = element("button", {id: "latent-pick-a-current", text: "A = current image",
      onclick: () => send({action: "pick", slot: "a", index: "current"})});
    const currentB = element("button", {id: "latent-pick-b-current", text: "B = current image",
      onclick: () => send({action: "pick", slot: "b", index: "current"})});
    ui.method = element("select", {id: "latent-method"});
    for (const method of ["slerp", "lerp"]) ui.method.appendChild(element("option", {value: method, text: method}));
    ui.method.addEventListener("change", () => send({action: "method", method: ui.method.value}));
    ui.steps = element("input", {id: "latent-steps", type: "number", min: 2, max: 16, step: 1, value: 8});
    ui.steps.addEventListener("change", () => send({action: "steps", steps: Number(ui.steps.value)}));
    ui.strip = image("latent-strip", "", "the interpolation strip from A to B");
    ui.strip.addEventListener("load", () => { ui.strip.style.width = `${ui.strip.naturalWidth * 3}px`; });
    ui.picks = element("p", {class: "latent-note"});
    const interpolation = panel("Interpolation", [
      element("p", {class: "latent-note"}, ["Click a candidate to pick ",
        element("span", {class: "latent-a", text: "A"}), ", then ", element("span", {class: "latent-b", text: "B"}), "."]),
      row,
      element("div", {class: "buttons"}, [newCandidates, currentA, currentB]),
      element("div", {class: "controls"}, [
        element("label", {}, ["Method ", ui.method]),
        element("label", {}, ["Steps ", ui.steps]),
      ]),
      element("div", {class: "images"}, [ui.strip]),
      ui.picks,
    ]);

    // ------------------------------------------------------------ encoding an upload (VAE)
    ui.upload = element("input", {id: "latent-upload", type: "file", accept: "image/png,image/jpeg"});
    ui.invert = element("input", {id: "latent-invert", type: "checkbox"});
    ui.lastUpload = null;
    const postUpload = () => send({action: "upload", image: ui.lastUpload, invert: ui.invert.checked});
    ui.upload.addEventListener("change", () => {
      const file = ui.upload.files[0];
      if (!file) return;
      const reader = new FileReader();
      reader.onload = () => {
        ui.lastUpload = reader.result;
        ui.upload.value = "";  // choosing the same file again posts it again
        postUpload();
      };
      reader.readAsDataURL(file);
    });
    ui.invert.addEventListener("change", () => { if (ui.lastUpload) postUpload(); });
    ui.input = image("latent-input", "latent-big", "the uploaded image as encoded (28x28 greyscale)");
    ui.reconstruction = image("latent-reconstruction", "latent-big", "the VAE's reconstruction");
    ui.inputBox = element("figure", {}, [ui.input, element("figcaption", {text: "encoded"})]);
    ui.reconstructionBox = element("figure", {}, [ui.reconstruction, element("figcaption", {text: "reconstruction"})]);
    const encode = panel("Encode an image (VAE)", [
      element("p", {class: "latent-note", text: "A PNG or JPEG (at most 256 KiB), made greyscale and fitted to 28x28. " +
        "Fashion-MNIST is a light garment on black: invert dark-on-light pictures."}),
      element("div", {class: "controls"}, [
        element("label", {}, ["Image ", ui.upload]),
        element("label", {}, [ui.invert, " invert"]),
      ]),
      element("div", {class: "images", style: "display: flex; gap: 1em"}, [ui.inputBox, ui.reconstructionBox]),
    ]);

    root.append(model, picture, directions, interpolation, encode);
  }

  function signed(value) {
    return (value >= 0 ? "+" : "") + value.toFixed(2);
  }

  function truncationLabel(truncation) {
    return truncation === null ? "off" : truncation.toFixed(1);
  }

  function update(state) {
    if (ui.model.value !== state.model) ui.model.value = state.model;
    if (document.activeElement !== ui.seed) ui.seed.value = state.seed;
    ui.status.textContent = state.loading ? `loading ${state.loading}...` : "";
    setSrc(ui.image, state.image);

    const gan = state.kind === "gan";
    ui.truncation.disabled = !gan;
    if (ui.postTruncation.idle() && document.activeElement !== ui.truncation) {
      ui.truncation.value = state.truncation === null ? TRUNCATION_OFF : state.truncation;
    }
    ui.truncationText.textContent = gan ? truncationLabel(state.truncation) : "(GANs only)";

    if (ui.label.options.length !== state.classes.length) {
      ui.label.textContent = "";
      state.classes.forEach((name, i) => ui.label.appendChild(element("option", {value: i, text: name})));
    }
    ui.label.value = state.label;
    ui.label.disabled = !state.conditional;
    ui.cluster.textContent = state.cluster === null ? ""
      : `Self-conditioned GAN: this sample draws cluster ${state.cluster} of ${state.clusters} from the prior; ` +
        "the sliders keep it.";

    const upload = state.base === "upload";
    ui.sliderNote.textContent = state.kind === "vae"
      ? (upload ? "Axes of the posterior q(z|x), in its standard deviations \u03c3 around the encoded mean."
        : "Latent axes the decoder is most sensitive to, in prior standard deviations.")
      : "Fixed random orthonormal directions in z, in prior standard deviations.";
    state.sliders.forEach((s, i) => {
      const slider = ui.sliders[i];
      slider.name.textContent = upload ? `${s.name} (\u03c3 ${s.scale.toFixed(2)})` : s.name;
      if (slider.post.idle() && !slider.dragging) {
        slider.input.value = s.value;
        slider.value.textContent = signed(s.value);
      }
    });

    ui.candidateSeed = state.candidate_seed;
    state.candidates.forEach((src, i) => {
      const candidate = ui.candidates[i];
      setSrc(candidate, src);
      candidate.classList.toggle("pick-a", state.picks.a === i);
      candidate.classList.toggle("pick-b", state.picks.b === i);
    });
    ui.method.value = state.method;
    if (document.activeElement !== ui.steps) ui.steps.value = state.steps;
    setSrc(ui.strip, state.strip);
    const describe = pick => (pick === "current" ? "the image as it was when picked" : `candidate ${pick + 1}`);
    ui.picks.textContent = `A: ${describe(state.picks.a)}; B: ${describe(state.picks.b)}; ${state.steps} steps by ${state.method}.`;

    setSrc(ui.input, state.upload && state.upload.input);
    setSrc(ui.reconstruction, state.reconstruction);
    ui.inputBox.hidden = ui.reconstructionBox.hidden = !state.upload;
    if (state.upload) ui.invert.checked = state.upload.invert;
  }

  function rates(state, fps) {
    return `${state.model} \u00b7 last update ${state.render_ms} ms \u00b7 ${fps} frames/s`;
  }

  kgenLab.register("latent", {title: "Latent explorer", mount, update, rates});
})();
