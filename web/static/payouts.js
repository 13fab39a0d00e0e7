/* The payouts page: a running count, payee count and total (yuan, from whole fen) of the ticked claims. */
(function () {
  "use strict";
  var form = document.getElementById("pool"), out = document.getElementById("running");
  if (!form || !out) return;
  function update() {
    var n = 0, fen = 0, payees = new Set();
    var boxes = form.querySelectorAll("input[name=ids]:checked");
    for (var i = 0; i < boxes.length; i++) {
      n += 1; fen += Number(boxes[i].dataset.fen); payees.add(boxes[i].dataset.payee);
    }
    out.querySelector("[data-n]").textContent = n;
    out.querySelector("[data-payees]").textContent = payees.size;
    out.querySelector("[data-total]").textContent = Math.floor(fen / 100) + "." + String(fen % 100).padStart(2, "0");
    out.hidden = false;
  }
  form.addEventListener("change", update);
  update();
})();
