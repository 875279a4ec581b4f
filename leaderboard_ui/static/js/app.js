// StyleArena: small progressive enhancements. Every page works without this script.
(function () {
  "use strict";

  // Sort-by selects submit on change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });

  // Sizes as the server writes them (arena/core/sizes.py): binary units, one decimal unless it is 0.
  function humanSize(n) {
    var units = ["B", "KB", "MB", "GB", "TB"], i = 0;
    while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
    return i === 0 ? Math.floor(n) + " B" : n.toFixed(1).replace(/\.0$/, "") + " " + units[i];
  }

  // Client-side size check before a large upload starts (the server checks again).
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var max = parseInt(input.getAttribute("data-max-bytes"), 10);
    var form = input.form;
    var message = document.getElementById("size-error");
    function check() {
      var file = input.files && input.files[0];
      var tooBig = !!(file && file.size > max);
      if (message) {
        message.hidden = !tooBig;
        message.textContent = tooBig ? "This file is " + humanSize(file.size) + "; the limit is " +
          humanSize(max) + "." : "";
      }
      return !tooBig;
    }
    input.addEventListener("change", check);
    form.addEventListener("submit", function (ev) {
      if (!check()) { ev.preventDefault(); return; }
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; button.textContent = "Uploading…"; }
    });
  });

  // Copy buttons (API tokens).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (target && navigator.clipboard) {
        navigator.clipboard.writeText(target.textContent.trim()).then(function () { button.textContent = "Copied"; });
      }
    });
  });

  // Live status of a submission: poll until it is final, then reload to show scores.
  var panel = document.getElementById("status-panel");
  if (panel && panel.getAttribute("data-final") !== "true") {
    var url = panel.getAttribute("data-status-url");
    var last = panel.getAttribute("data-status");
    var delay = 2000;
    var order = ["queued", "smoke_run", "hidden_run", "scoring", "scored"];
    var showStep = function (data) {
      var step = data.step === "starting" ? "smoke_run" : data.step;
      var reached = order.indexOf(step);
      document.querySelectorAll("#progress li[data-step]").forEach(function (li, i) {
        li.className = i < reached ? "done" : (i === reached ? "active" : "");
      });
      var progress = document.getElementById("progress");
      if (progress) { progress.setAttribute("data-step", data.step); }
      var detail = document.getElementById("progress-detail");
      if (detail) {
        var text = "";
        if (data.queue_position) { text += "Position " + data.queue_position + " in the queue. "; }
        if (data.elapsed_s !== null && data.elapsed_s !== undefined) { text += "Running for " + Math.round(data.elapsed_s) + " s. "; }
        detail.textContent = text + "This page updates by itself.";
      }
    };
    var poll = function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { delay = Math.min(delay * 2, 30000); return; }
          if (data.status !== last) {
            last = data.status;
            var badge = document.querySelector("#status-badge .badge");
            if (badge) {
              badge.textContent = data.status;
              badge.className = "badge badge-" + data.status;
              badge.setAttribute("data-status", data.status);
            }
          }
          showStep(data);
          if (data.final) { window.location.reload(); return "done"; }
        })
        .catch(function () { delay = Math.min(delay * 2, 30000); })
        .then(function (state) { if (state !== "done") { setTimeout(poll, delay); } });
    };
    setTimeout(poll, delay);
  }
})();
