// Booking pages: a hold countdown and a guard against double submits.
// Both are conveniences: the server decides when a hold ends, and booking is idempotent.
(function () {
  "use strict";

  function countdown(el) {
    var end = Date.parse(el.getAttribute("data-countdown"));
    if (isNaN(end)) return;
    function tick() {
      var left = Math.round((end - Date.now()) / 1000);
      if (left <= 0) {
        el.textContent = "(time is up: reload the page to check the time is still free)";
        return;
      }
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      el.textContent = "(" + minutes + ":" + (seconds < 10 ? "0" : "") + seconds + " left)";
      window.setTimeout(tick, 1000);
    }
    tick();
  }

  function startCountdowns(root) {
    root.querySelectorAll("[data-countdown]").forEach(countdown);
  }

  // Forms marked data-once submit once; buttons are disabled after the browser has read
  // the clicked button's value (a time picker sends start_at through the button).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) return;
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = true;
      });
    }, 0);
  });

  // Coming back with the Back button restores the page from cache: make it usable again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        button.disabled = false;
      });
    });
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { startCountdowns(document); });
  } else {
    startCountdowns(document);
  }
})();
