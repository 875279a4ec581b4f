// Organizer page: refresh the rescore-progress counts while an evaluation is queued or running.
// Without this script the card keeps its "Reload" link, which shows the same numbers.
(function () {
  "use strict";

  var card = document.getElementById("progress");
  if (!card || !window.fetch) { return; }
  var url = card.getAttribute("data-progress-url");
  var every = parseInt(card.getAttribute("data-poll-ms") || "3000", 10);
  var live = card.querySelector(".progress-live");
  var wasActive = false;

  function show(text) {
    live.hidden = false;
    live.textContent = "· " + text;
  }

  function apply(data) {
    var unknown = false;
    data.targets.forEach(function (t) {
      var row = card.querySelector('tr[data-target="' + t.dataset_version_id + "-" + t.scorer_version + '"]');
      if (!row) { unknown = true; return; }
      ["queued", "running", "scored", "failed", "missing"].forEach(function (col) {
        var cell = row.querySelector('td[data-col="' + col + '"]');
        if (cell) { cell.textContent = String(t[col]); }
      });
    });
    if (unknown) { show("a new target appeared: reload"); return false; }
    if (data.active) { show("updating live"); return true; }
    show(wasActive ? "finished: reload to see the board" : "nothing queued or running");
    return false;
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) {
        var again = apply(data);
        wasActive = wasActive || data.active;
        if (again) { window.setTimeout(poll, every); }
      })
      .catch(function () { show("live refresh stopped: reload"); });
  }

  poll();
}());
