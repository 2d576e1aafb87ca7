// Every page: small conveniences that must not be inline scripts (the Content-Security-Policy
// allows scripts from this site only).
(function () {
  "use strict";

  // The account menu closes on a click elsewhere or Escape.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });

  // Forms marked data-confirm ask before they submit.
  document.addEventListener("submit", function (event) {
    var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Polls (data-poll) wait while the page is hidden, and catch up when it is shown again.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.visibilityState !== "visible" && event.detail.elt.hasAttribute("data-poll")) {
      event.preventDefault();
    }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") document.dispatchEvent(new CustomEvent("visible-again"));
  });
})();
