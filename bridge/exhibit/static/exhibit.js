/* relic-twin web exhibit: language switch, hotspots, notes and guided tours.
 * A classic script (no modules), so the pages also work from file://.
 * The model arrives as base64 in <relic>.glb.js (a script, which file:// allows, where fetch is refused). */
(function () {
  "use strict";
  var root = document.documentElement;
  var KEY = "relic-twin.lang";
  function reduceMotion() {  /* asked each time: the visitor may change the setting while the page is open */
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  /* ---- language ------------------------------------------------------ */
  function setLang(lang, remember) {
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang);
    var title = root.getAttribute(lang === "en" ? "data-title-en" : "data-title-zh");
    if (title) { document.title = title; }
    var els = document.querySelectorAll("[data-i18n-attr]");
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      el.setAttribute(el.getAttribute("data-i18n-attr"), el.getAttribute(lang === "en" ? "data-i18n-en" : "data-i18n-zh"));
    }
    if (remember) {
      try { localStorage.setItem(KEY, lang); } catch (e) { /* storage blocked: the choice lasts this page */ }
    }
  }
  setLang(root.getAttribute("data-lang") === "en" ? "en" : "zh-CN", false);
  var sw = document.getElementById("lang-switch");
  if (sw) {
    sw.addEventListener("click", function () {
      setLang(root.getAttribute("data-lang") === "en" ? "zh-CN" : "en", true);
    });
  }

  /* ---- the model ----------------------------------------------------- */
  var viewer = document.getElementById("viewer");
  var home = null;
  if (viewer) {
    var element = window.customElements && customElements.get("model-viewer");
    if (element) { element.meshoptDecoderLocation = viewer.getAttribute("data-meshopt"); }
    var b64 = window[viewer.getAttribute("data-model-var")];
    if (b64) {
      var raw = atob(b64);
      var bytes = new Uint8Array(raw.length);
      for (var k = 0; k < raw.length; k++) { bytes[k] = raw.charCodeAt(k); }
      viewer.src = URL.createObjectURL(new Blob([bytes], { type: "model/gltf-binary" }));
    }
    home = { orbit: viewer.getAttribute("camera-orbit"), target: "auto auto auto" };
    viewer.addEventListener("load", function () {
      window.relicTwinModelLoaded = performance.now();
      /* first rendered frame: two animation frames after the model is in the scene */
      requestAnimationFrame(function () {
        requestAnimationFrame(function () {
          window.relicTwinFirstFrame = performance.now();
          viewer.setAttribute("data-rendered", "true");
          /* the floor shadow after the first frame: its depth pass and blur would delay it (bridge/exhibit/lighting.py) */
          viewer.setAttribute("shadow-intensity", viewer.getAttribute("data-shadow-intensity") || "0");
        });
      });
    });
    viewer.addEventListener("error", function (ev) {
      viewer.setAttribute("data-error", String((ev.detail && ev.detail.type) || "error"));
    });
  }

  function look(orbit, target) {
    if (!viewer || !orbit) { return; }
    viewer.cameraTarget = target;
    viewer.cameraOrbit = orbit;
    if (reduceMotion() && viewer.jumpCameraToGoal) { viewer.jumpCameraToGoal(); }
  }

  /* ---- notes --------------------------------------------------------- */
  var notes = document.querySelectorAll("article.note");
  var hotspots = document.querySelectorAll("button.hotspot");
  var placeholder = document.getElementById("note-placeholder");

  function openNote(id) {
    var shown = null;
    for (var i = 0; i < notes.length; i++) {
      var on = notes[i].getAttribute("data-note") === id;
      notes[i].hidden = !on;
      if (on) { shown = notes[i]; }
    }
    if (placeholder) { placeholder.hidden = !!shown; }
    if (window.history && history.replaceState) {  /* a link to this note, for a lesson or a message */
      history.replaceState(null, "", shown ? "#note-" + id : location.pathname + location.search);
    }
    for (var j = 0; j < hotspots.length; j++) {
      var active = hotspots[j].getAttribute("data-note") === id;
      hotspots[j].setAttribute("aria-expanded", active ? "true" : "false");
      hotspots[j].classList.toggle("active", active);
      if (active) { look(hotspots[j].getAttribute("data-orbit"), hotspots[j].getAttribute("data-target")); }
    }
    return shown;
  }

  function closeNotes() {
    openNote(null);
    endTours();
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target.closest ? ev.target.closest("[data-note]") : null;
    if (el && (el.classList.contains("hotspot") || el.classList.contains("note-link"))) {
      endTours();
      var note = openNote(el.getAttribute("data-note"));
      if (note && el.classList.contains("note-link") && window.innerWidth < 800) {
        note.scrollIntoView({ block: "nearest", behavior: reduceMotion() ? "auto" : "smooth" });
      }
    } else if (ev.target.closest && ev.target.closest(".close-note")) {
      closeNotes();
    }
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") { closeNotes(); }
  });
  var reset = document.getElementById("reset-view");
  if (reset) {
    reset.addEventListener("click", function () { closeNotes(); if (home) { look(home.orbit, home.target); } });
  }

  if (/^#note-/.test(location.hash)) {
    var linked = location.hash.slice(6);
    for (var h = 0; h < notes.length; h++) {
      if (notes[h].getAttribute("data-note") === linked) { openNote(linked); }
    }
  }

  /* ---- guided tours -------------------------------------------------- */
  var tours = document.querySelectorAll(".tour");

  function endTours() {
    for (var i = 0; i < tours.length; i++) {
      tours[i].querySelector(".tour-run").hidden = true;
      tours[i].querySelector(".tour-start").hidden = false;
      tours[i].removeAttribute("data-step");
    }
  }

  function showStep(tour, i) {
    var steps = tour.querySelectorAll(".tour-step");
    i = Math.max(0, Math.min(steps.length - 1, i));
    tour.setAttribute("data-step", String(i));
    for (var s = 0; s < steps.length; s++) { steps[s].hidden = s !== i; }
    tour.querySelector(".tour-prev").disabled = i === 0;
    tour.querySelector(".tour-next").disabled = i === steps.length - 1;
    openNote(steps[i].getAttribute("data-note"));
  }

  for (var n = 0; n < tours.length; n++) {
    (function (tour) {
      tour.querySelector(".tour-start").addEventListener("click", function () {
        endTours();
        tour.querySelector(".tour-run").hidden = false;
        tour.querySelector(".tour-start").hidden = true;
        showStep(tour, 0);
        tour.querySelector(".tour-next").focus();
      });
      tour.querySelector(".tour-next").addEventListener("click", function () {
        showStep(tour, Number(tour.getAttribute("data-step")) + 1);
      });
      tour.querySelector(".tour-prev").addEventListener("click", function () {
        showStep(tour, Number(tour.getAttribute("data-step")) - 1);
      });
      tour.querySelector(".tour-end").addEventListener("click", function () {
        closeNotes();
        tour.querySelector(".tour-start").focus();
      });
    })(tours[n]);
  }
})();
