// Try it: poll the request's status until it is final, then reload to show the picture.
(function () {
  "use strict";
  var panel = document.getElementById("tryit-status");
  if (!panel || panel.getAttribute("data-final") === "true") { return; }
  var url = panel.getAttribute("data-status-url");
  var last = panel.getAttribute("data-status");
  var delay = 1000;
  var poll = function () {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && (data.final || data.status !== last)) { window.location.reload(); return; }
        delay = Math.min(delay * 1.3, 5000);
        setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 5000); });
  };
  setTimeout(poll, delay);
})();
