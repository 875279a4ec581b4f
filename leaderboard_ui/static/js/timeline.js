// StyleArena timeline: a countdown beside the next phase boundary. Without this script the page
// shows the plain date (the <time> element's text), which stays visible with it too.
(function () {
  "use strict";

  function left(ms) {
    var minutes = Math.floor(ms / 60000), days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days > 0) { return "in " + days + " d " + hours + " h"; }
    if (hours > 0) { return "in " + hours + " h " + mins + " min"; }
    return mins > 0 ? "in " + mins + " min" : "in under a minute";
  }

  document.querySelectorAll("time[data-countdown]").forEach(function (el) {
    var at = Date.parse(el.getAttribute("datetime"));
    if (isNaN(at)) { return; }
    var badge = document.createElement("span");
    badge.className = "tl-countdown";
    badge.setAttribute("data-countdown-text", "");
    el.parentNode.insertBefore(badge, el.nextSibling);
    el.parentNode.insertBefore(document.createTextNode(" "), badge);
    function tick() {
      var ms = at - Date.now();
      badge.textContent = ms > 0 ? left(ms) : "now: reload the page";
      if (ms > 0) { window.setTimeout(tick, 30000); }
    }
    tick();
  });
}());
