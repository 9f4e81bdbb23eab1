// The door: read ticket QR codes with the device camera and send them to the console, which
// answers with the result (large, coloured) and the running count. BarcodeDetector where the
// browser has it, jsQR (vendored) otherwise; typing the code works without a camera. The answer
// is spoken in the page's language. No inline script: started from data attributes.
(function () {
  "use strict";
  var root = document.querySelector("[data-door]");
  if (!root) return;
  var video = root.querySelector("video");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var form = root.querySelector("form[data-door-form]");
  var input = form.querySelector("input[name=ticket]");
  var status = root.querySelector("[data-door-camera-status]");
  var last = { code: "", at: 0 };
  var detector = null;
  var busy = false;

  if ("BarcodeDetector" in window) {
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
  }

  function say(text) {
    if (!text || !("speechSynthesis" in window)) return;
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = document.documentElement.lang || "zh-Hans";
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
  }

  // Every answer the server sends into the result area may carry what to say aloud.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var spoken = event.detail.target.querySelector("[data-say]");
    if (spoken) say(spoken.getAttribute("data-say"));
    input.value = "";
    input.focus();
  });

  function submit(code) {
    var now = Date.now();
    if (code === last.code && now - last.at < 4000) return; // the same ticket still in front of the camera
    last = { code: code, at: now };
    input.value = code;
    window.htmx.trigger(form, "submit");
  }

  function decode(done) {
    if (video.readyState < 2) return done(null);
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    if (detector) {
      detector.detect(canvas).then(function (codes) {
        done(codes.length ? codes[0].rawValue : null);
      }, function () { done(null); });
      return;
    }
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    done(found ? found.data : null);
  }

  function tick() {
    if (!busy) {
      busy = true;
      decode(function (code) {
        busy = false;
        if (code) submit(code);
      });
    }
    window.setTimeout(tick, 200);
  }

  function start() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      status.textContent = status.getAttribute("data-no-camera");
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
      video.srcObject = stream;
      video.play();
      status.textContent = status.getAttribute("data-scanning");
      root.setAttribute("data-camera", "on");
      tick();
    }, function () {
      status.textContent = status.getAttribute("data-no-camera");
    });
  }

  var button = root.querySelector("[data-door-start]");
  if (button) button.addEventListener("click", function () { button.hidden = true; start(); });
})();
