/* Small form helpers that used to be inline on* attributes (the Content-Security-Policy allows
   no inline script, web/security_headers.py): a "select all" box ticks every input[name=<data-select-all>],
   a box with data-autosubmit sends its form when changed, a form with data-confirm asks first. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!(box instanceof HTMLInputElement)) return;
    if (box.dataset.selectAll) {
      var all = document.querySelectorAll('input[name="' + box.dataset.selectAll + '"]');
      for (var i = 0; i < all.length; i++) {
        if (all[i].checked !== box.checked) {
          all[i].checked = box.checked;
          all[i].dispatchEvent(new Event("change", { bubbles: true }));
        }
      }
    }
    if (box.hasAttribute("data-autosubmit") && box.form) box.form.submit();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
