// Payments pages with real Stripe keys (test mode needs none of this).
// - Add a card: Stripe Elements' card field confirms a SetupIntent (usage=off_session) in the
//   browser, then the form posts the SetupIntent's id; the server reads the result from Stripe.
// - Fix a payment: confirmCardPayment lets the cardholder pass their bank's check for the
//   lesson's PaymentIntent, then the form tells the server, which reads the intent from Stripe.
// - Checkout: the same bank check for a lesson authorized while the student books.
// Card numbers go to Stripe only; the server never sees them.
(function () {
  "use strict";

  function showError(el, message) {
    if (el) el.textContent = message || "";
  }

  function setupCardForm(form) {
    var stripe = window.Stripe(form.getAttribute("data-stripe-key"));
    var clientSecret = form.getAttribute("data-client-secret");
    var errors = document.getElementById("card-errors");
    var button = form.querySelector("button[type=submit]");
    var card = stripe.elements().create("card", {
      hidePostalCode: false,
      style: { base: { fontSize: "16px", color: "#1f2937" } },
    });
    card.mount("#card-element");
    card.on("change", function (event) {
      showError(errors, event.error ? event.error.message : "");
    });
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-confirmed")) return; // our own submit after Stripe said yes
      event.preventDefault();
      if (!clientSecret) return;
      button.disabled = true;
      showError(errors, "");
      stripe
        .confirmCardSetup(clientSecret, {
          payment_method: { card: card },
          return_url: form.getAttribute("data-return-url"),
        })
        .then(function (result) {
          if (result.error) {
            showError(errors, result.error.message);
            button.disabled = false;
            return;
          }
          form.querySelector("input[name=setup_intent]").value = result.setupIntent.id;
          form.setAttribute("data-confirmed", "1");
          form.submit();
        });
    });
  }

  function setupConfirmForm(form) {
    var stripe = window.Stripe(form.getAttribute("data-stripe-key"));
    var errors = document.getElementById("confirm-errors");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener(
      "submit",
      function (event) {
        if (form.getAttribute("data-confirmed")) return;
        event.preventDefault();
        event.stopImmediatePropagation(); // booking.js's once-only guard waits for our own submit
        button.disabled = true;
        showError(errors, "");
        stripe
          .confirmCardPayment(form.getAttribute("data-client-secret"), {
            payment_method: form.getAttribute("data-payment-method"),
          })
          .then(function (result) {
            if (result.error) {
              showError(errors, result.error.message);
              button.disabled = false;
              return;
            }
            form.setAttribute("data-confirmed", "1");
            form.submit();
          });
      },
      true
    );
  }

  // Checkout: "Confirm with my bank" shows the bank's check for the payment's intent, then posts
  // the checkout form with action=authenticate; the server reads the intent from Stripe.
  function setupBankButton(button) {
    var stripe = window.Stripe(button.getAttribute("data-stripe-key"));
    var errors = document.getElementById("confirm-errors");
    var form = button.form;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      button.disabled = true;
      showError(errors, "");
      stripe.handleNextAction({ clientSecret: button.getAttribute("data-client-secret") }).then(function (result) {
        if (result.error) {
          showError(errors, result.error.message);
          button.disabled = false;
          return;
        }
        var action = document.createElement("input");
        action.type = "hidden";
        action.name = "action";
        action.value = "authenticate";
        form.appendChild(action);
        form.submit();
      });
    });
  }

  function start() {
    if (!window.Stripe) return; // Stripe.js did not load: the page says the card form needs it
    document.querySelectorAll("form[data-stripe-setup]").forEach(setupCardForm);
    document.querySelectorAll("form[data-stripe-confirm]").forEach(setupConfirmForm);
    document.querySelectorAll("button[data-bank-check]").forEach(setupBankButton);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
