// Conversation page: where the poll and the send form pick up from (the last message shown),
// no duplicate messages when a poll and a send cross, one read receipt, Enter to send, a
// character counter, and send errors (400/429) shown in the form. Everything here is a
// convenience: without JavaScript the page is plain links and forms.
(function () {
  "use strict";

  function threadList() {
    return document.getElementById("thread-list");
  }

  function last(nodes) {
    return nodes.length ? nodes[nodes.length - 1] : null;
  }

  // Requests from elements marked data-cursor (the poll, the send form) say where they pick up
  // from: the newest message shown, and the viewer's own last message while it is not yet seen
  // (so the poll can turn its receipt into "Seen"). An event listener, not hx-vals="js:...":
  // the Content-Security-Policy allows no eval.
  function cursor() {
    var list = threadList();
    if (!list) return {};
    var newest = last(list.querySelectorAll(".msg[data-at]"));
    var values = { after: newest ? newest.getAttribute("data-at") : "0" };
    var mine = last(list.querySelectorAll(".msg-mine[data-at]"));
    if (mine && !mine.querySelector(".receipt.is-seen")) {
      values.mine = mine.getAttribute("data-id");
      values.mine_at = mine.getAttribute("data-at");
    }
    return values;
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!event.detail.elt.hasAttribute("data-cursor")) return;
    var values = cursor();
    Object.keys(values).forEach(function (name) {
      event.detail.parameters[name] = values[name];
    });
  });

  // A poll and a send that cross in flight may both bring the same message: keep the first.
  // Only the viewer's last message keeps a read receipt.
  function tidy(list) {
    var seen = {};
    list.querySelectorAll(".msg[data-id]").forEach(function (item) {
      var id = item.getAttribute("data-id");
      if (seen[id]) item.remove();
      else seen[id] = true;
    });
    var receipts = list.querySelectorAll(".receipt");
    for (var i = 0; i < receipts.length - 1; i++) receipts[i].remove();
  }

  function watchThread() {
    var list = threadList();
    if (!list || list.hasAttribute("data-watched")) return;
    list.setAttribute("data-watched", "1");
    new MutationObserver(function () {
      tidy(list);
    }).observe(list, { childList: true });
  }

  var finePointer = window.matchMedia && window.matchMedia("(pointer: fine)").matches;

  function countChars(textarea) {
    var counter = textarea.form && textarea.form.querySelector("[data-char-count]");
    if (!counter) return;
    var max = parseInt(textarea.getAttribute("maxlength"), 10) || 2000;
    var used = textarea.value.length;
    counter.textContent = used ? used.toLocaleString() + " / " + max.toLocaleString() : "";
    counter.classList.toggle("is-near", used > max * 0.9);
  }

  function setUp(root) {
    watchThread();
    root.querySelectorAll("textarea[data-counted]").forEach(countChars);
    if (finePointer) {
      root.querySelectorAll("[data-enter-hint]").forEach(function (hint) {
        hint.hidden = false;
      });
    }
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-counted]")) countChars(event.target);
  });

  // Enter sends (with a keyboard and mouse); Shift+Enter adds a line. Ctrl/Cmd+Enter sends too.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key !== "Enter" || event.isComposing || event.shiftKey || event.altKey) return;
    if (!target.matches || !target.matches("textarea[data-enter-sends]")) return;
    if (!finePointer && !event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    if (target.value.trim() && target.form) target.form.requestSubmit();
  });

  // htmx leaves 4xx answers unswapped; the send form's answers carry the error to show.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (event.detail.elt && event.detail.elt.id === "composer" && (status === 400 || status === 429)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The compose page sends once, even on a double click.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-send-once")) return;
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) return;
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
    });
  });

  // On a phone the conversation takes the screen: scroll the header away so the newest
  // messages and the send form are in view together.
  document.addEventListener("DOMContentLoaded", function () {
    var convo = document.querySelector(".convo");
    if (convo && window.matchMedia("(max-width: 819px)").matches && !window.location.hash) {
      convo.scrollIntoView({ block: "start" });
    }
  });

  if (window.htmx) {
    window.htmx.onLoad(setUp);
  } else {
    document.addEventListener("DOMContentLoaded", function () {
      setUp(document);
    });
  }
})();
