// Case page: show the promise or payment-term fields only for the outcome that needs them.
(function () {
  "use strict";
  var outcome = document.getElementById("outcome");
  if (!outcome) { return; }
  function sync() {
    document.querySelectorAll("[data-outcome]").forEach(function (block) {
      block.hidden = block.getAttribute("data-outcome") !== outcome.value;
    });
  }
  outcome.addEventListener("change", sync);
  sync();
})();
// Queue: "select all" for the reassign checkboxes.
(function () {
  "use strict";
  var all = document.getElementById("select-all");
  if (!all) { return; }
  all.addEventListener("change", function () {
    document.querySelectorAll("input[name=cases]").forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
