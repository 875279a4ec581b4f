// Issue 16: before/after sliders and the board's "select two rows -> compare". Pages work without it.
(function () {
  "use strict";
  document.querySelectorAll("[data-ba]").forEach(function (box) {
    var range = box.parentNode.querySelector("input.ba-range");
    function set(value) { box.style.setProperty("--pos", value + "%"); if (range) { range.value = value; } }
    if (range) { range.addEventListener("input", function () { set(range.value); }); }
    function fromPointer(event) {
      var rect = box.getBoundingClientRect();
      set(Math.max(0, Math.min(100, Math.round(100 * (event.clientX - rect.left) / rect.width))));
    }
    box.addEventListener("pointerdown", function (event) { box.setPointerCapture(event.pointerId); fromPointer(event); });
    box.addEventListener("pointermove", function (event) { if (event.buttons) { fromPointer(event); } });
  });
  // At most two rows ticked; the button says how many more to pick.
  var form = document.getElementById("compare-form");
  if (form) {
    var boxes = document.querySelectorAll("input[form=compare-form]");
    var button = form.querySelector("button");
    var update = function () {
      var ticked = Array.prototype.filter.call(boxes, function (b) { return b.checked; });
      Array.prototype.forEach.call(boxes, function (b) { b.disabled = !b.checked && ticked.length >= 2; });
      button.disabled = ticked.length !== 2;
      button.textContent = ticked.length === 2 ? "Compare the two selected" : "Select " + (2 - ticked.length) + " more to compare";
    };
    Array.prototype.forEach.call(boxes, function (b) { b.addEventListener("change", update); });
    update();
  }
})();
