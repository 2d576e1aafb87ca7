/* Week availability editor: a 7-day x 15-minute grid painted with mouse, touch or keyboard.
 *
 * Progressive enhancement of templates/availability/week.html: without JavaScript the page
 * is a form of seven text fields ("09:00-12:00, 13:00-17:00"). This script hides those
 * fields, draws the grid from the JSON in #week-grid-data, and writes every change back into
 * the same fields in the same format, so saving posts exactly what the plain form posts
 * (one POST for the whole week; the server replaces the 7 days atomically).
 */
(function () {
  "use strict";

  var STEP = 15;
  var SLOTS = 1440 / STEP;
  var UNDO_LIMIT = 50;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(minute) { return pad(Math.floor(minute / 60)) + ":" + pad(minute % 60); }
  function clock(minute) {
    var h = Math.floor(minute / 60) % 24, m = minute % 60;
    return (h % 12 || 12) + ":" + pad(m) + " " + (h < 12 ? "AM" : "PM");
  }
  function hourLabel(minute) {
    var h = Math.floor(minute / 60) % 24;
    return (h % 12 || 12) + (h < 12 ? " AM" : " PM");
  }

  function init() {
    var form = document.getElementById("week-form");
    var dataEl = document.getElementById("week-grid-data");
    if (!form || !dataEl || !window.fetch) return;
    // A plain-form submission came back with errors: let the person fix the text they typed.
    if (form.dataset.hasErrors === "true") return;

    var data = JSON.parse(dataEl.textContent);
    var editor = form.querySelector("[data-week-editor]");
    var fallback = form.querySelector("[data-week-fallback]");
    var gridEl = editor.querySelector("[data-grid]");
    var scroller = editor.querySelector("[data-scroll]");
    var statusEl = form.querySelector("[data-status]");
    var saveBtn = form.querySelector("[data-save]");
    var undoBtn = editor.querySelector("[data-undo]");
    var fullDayBox = editor.querySelector("[data-full-day]");
    var modeButtons = editor.querySelectorAll("[data-mode]");

    var days = data.days.map(function (d) {
      var open = new Uint8Array(SLOTS), missing = new Uint8Array(SLOTS);
      d.ranges.forEach(function (r) { for (var i = Math.floor(r[0] / STEP); i < Math.ceil(r[1] / STEP); i++) open[i] = 1; });
      d.missing.forEach(function (r) { for (var i = Math.floor(r[0] / STEP); i < Math.ceil(r[1] / STEP); i++) missing[i] = 1; });
      return { info: d, open: open, missing: missing, field: form.elements[d.field] };
    });

    var state = {
      full: !!data.fullDay,
      first: 0, last: SLOTS, // visible slots [first, last)
      cells: [],             // cells[day][slot] -> element (visible slots only)
      focus: null,           // [day, slot] of the roving tabindex cell
      drag: null,
      tap: null,
      dirty: false,
      saving: false,
      undo: [],
      paintMode: false,      // touch only: drag paints instead of scrolling
      extendValue: 1,        // what Shift+arrows paint when starting from a cell that can't be open
    };

    // --- state helpers ---------------------------------------------------------------------

    function snapshot() { return days.map(function (d) { return d.open.slice(); }); }
    function restore(snap) { days.forEach(function (d, i) { d.open.set(snap[i]); }); }
    function pushUndo() {
      state.undo.push(snapshot());
      if (state.undo.length > UNDO_LIMIT) state.undo.shift();
      undoBtn.disabled = false;
    }

    function serialize(day) {
      var parts = [], start = -1;
      for (var i = 0; i <= SLOTS; i++) {
        var on = i < SLOTS && day.open[i] && !day.missing[i];
        if (on && start < 0) start = i;
        if (!on && start >= 0) { parts.push(hhmm(start * STEP) + "-" + hhmm(i * STEP)); start = -1; }
      }
      return parts.join(", ");
    }

    function writeFields() { days.forEach(function (d) { if (d.field) d.field.value = serialize(d); }); }

    function setStatus(text, kind) {
      statusEl.textContent = text;
      statusEl.className = "wk-status" + (kind ? " is-" + kind : "");
    }

    function changed() {
      writeFields();
      state.dirty = true;
      setStatus("Unsaved changes", "dirty");
    }

    // --- drawing ---------------------------------------------------------------------------

    function cellLabel(d, slot) {
      var day = days[d], m = slot * STEP;
      var what = day.missing[slot] ? "not on the clock this day" : (day.open[slot] ? "open" : "closed");
      return day.info.label + ", " + clock(m) + " to " + clock(m + STEP) + ": " + what;
    }

    function paintCell(d, slot) {
      var el = state.cells[d] && state.cells[d][slot];
      if (!el) return;
      var open = !!days[d].open[slot] && !days[d].missing[slot];
      el.classList.toggle("is-open", open);
      el.setAttribute("aria-selected", open ? "true" : "false");
      el.setAttribute("aria-label", cellLabel(d, slot));
    }

    function paintAll() {
      for (var d = 0; d < 7; d++) for (var s = state.first; s < state.last; s++) paintCell(d, s);
    }

    function render() {
      state.first = state.full ? 0 : data.dayStart / STEP;
      state.last = state.full ? SLOTS : data.dayEnd / STEP;
      var rows = state.last - state.first;
      gridEl.textContent = "";
      gridEl.style.setProperty("--wk-rows", rows);
      state.cells = days.map(function () { return []; });

      var head = document.createElement("div");
      head.setAttribute("role", "row");
      head.className = "wk-row";
      var corner = document.createElement("div");
      corner.className = "wk-corner";
      corner.setAttribute("role", "columnheader");
      corner.innerHTML = '<span class="visually-hidden">Time</span>';
      corner.style.gridArea = "1 / 1";
      head.appendChild(corner);
      days.forEach(function (day, d) {
        var th = document.createElement("div");
        th.setAttribute("role", "columnheader");
        th.className = "wk-dayhead" + (day.info.today ? " is-today" : "") + (day.info.past ? " is-past" : "");
        th.style.gridArea = "1 / " + (d + 2);
        th.innerHTML = '<span class="wk-dow">' + day.info.short + '</span> <span class="wk-date">' + day.info.number +
          "</span>" + (day.info.today ? '<span class="visually-hidden"> (today)</span>' : "");
        var clear = document.createElement("button");
        clear.type = "button";
        clear.className = "wk-clear";
        clear.textContent = "Clear";
        clear.setAttribute("aria-label", "Clear " + day.info.label);
        clear.addEventListener("click", function () { clearDay(d); });
        th.appendChild(clear);
        head.appendChild(th);
      });
      gridEl.appendChild(head);

      var frag = document.createDocumentFragment();
      for (var s = state.first; s < state.last; s++) {
        var row = document.createElement("div");
        row.setAttribute("role", "row");
        row.className = "wk-row";
        var r = s - state.first + 2;
        var label = document.createElement("div");
        label.setAttribute("role", "rowheader");
        label.className = "wk-time" + (s % 4 === 0 ? " is-hour" : "");
        label.style.gridArea = r + " / 1";
        if (s % 4 === 0) label.innerHTML = '<span aria-hidden="true">' + hourLabel(s * STEP) + "</span>";
        label.insertAdjacentHTML("beforeend", '<span class="visually-hidden">' + clock(s * STEP) + "</span>");
        row.appendChild(label);
        for (var d = 0; d < 7; d++) {
          var cell = document.createElement("div");
          cell.setAttribute("role", "gridcell");
          cell.className = "wk-cell" + (s % 4 === 0 ? " is-hour" : "") + (s % 4 === 2 ? " is-half" : "") +
            (days[d].info.today ? " is-today" : "") + (days[d].info.past ? " is-past" : "");
          if (days[d].missing[s]) { cell.classList.add("is-missing"); cell.setAttribute("aria-disabled", "true"); }
          cell.style.gridArea = r + " / " + (d + 2);
          cell.tabIndex = -1;
          cell.dataset.d = d;
          cell.dataset.s = s;
          state.cells[d][s] = cell;
          row.appendChild(cell);
        }
        frag.appendChild(row);
      }
      gridEl.appendChild(frag);

      // Lessons: read-only blocks over the grid (details are in the table below the editor).
      data.lessons.forEach(function (lesson) {
        var from = Math.max(Math.floor(lesson.start / STEP), state.first);
        var to = Math.min(Math.ceil(lesson.end / STEP), state.last);
        if (to <= from) return;
        var block = document.createElement("div");
        block.className = "wk-lesson wk-lesson-" + lesson.status;
        block.setAttribute("aria-hidden", "true");
        block.title = lesson.title;
        block.style.gridColumn = String(lesson.day + 2);
        block.style.gridRow = (from - state.first + 2) + " / " + (to - state.first + 2);
        block.textContent = lesson.label;
        gridEl.appendChild(block);
      });

      paintAll();
      var f = state.focus || defaultFocus();
      f[1] = Math.min(Math.max(f[1], state.first), state.last - 1);
      setFocus(f[0], f[1], false);
    }

    function defaultFocus() {
      var today = days.findIndex(function (d) { return d.info.today; });
      return [today < 0 ? 0 : today, 9 * 60 / STEP];
    }

    // --- editing ---------------------------------------------------------------------------

    function setRect(a, b, value) {
      var d0 = Math.min(a[0], b[0]), d1 = Math.max(a[0], b[0]);
      var s0 = Math.min(a[1], b[1]), s1 = Math.max(a[1], b[1]);
      for (var d = d0; d <= d1; d++) {
        for (var s = s0; s <= s1; s++) {
          if (!days[d].missing[s]) days[d].open[s] = value;
          paintCell(d, s);
        }
      }
    }

    function toggle(d, s) {
      if (days[d].missing[s]) return;
      pushUndo();
      days[d].open[s] = days[d].open[s] ? 0 : 1;
      paintCell(d, s);
      changed();
    }

    function clearDay(d) {
      if (!days[d].open.some(function (v) { return v; })) {
        setStatus(days[d].info.label + " is already closed.", state.dirty ? "dirty" : "");
        return;
      }
      pushUndo();
      days[d].open.fill(0);
      for (var s = state.first; s < state.last; s++) paintCell(d, s);
      changed();
      setStatus(days[d].info.label + " cleared. Unsaved changes", "dirty");
    }

    function undo() {
      var snap = state.undo.pop();
      if (!snap) return;
      restore(snap);
      paintAll();
      undoBtn.disabled = state.undo.length === 0;
      changed();
    }

    // --- focus and keyboard ----------------------------------------------------------------

    function setFocus(d, s, move) {
      if (state.focus) {
        var old = state.cells[state.focus[0]] && state.cells[state.focus[0]][state.focus[1]];
        if (old) old.tabIndex = -1;
      }
      state.focus = [d, s];
      var el = state.cells[d][s];
      if (!el) return;
      el.tabIndex = 0;
      if (move) el.focus({ preventScroll: false });
    }

    function cellAt(target) {
      var el = target && target.closest ? target.closest(".wk-cell") : null;
      return el && gridEl.contains(el) ? [Number(el.dataset.d), Number(el.dataset.s)] : null;
    }

    gridEl.addEventListener("keydown", function (e) {
      var pos = cellAt(e.target);
      if (!pos) return;
      var d = pos[0], s = pos[1], nd = d, ns = s;
      switch (e.key) {
        case "ArrowUp": ns = s - 1; break;
        case "ArrowDown": ns = s + 1; break;
        case "ArrowLeft": nd = d - 1; break;
        case "ArrowRight": nd = d + 1; break;
        case "PageUp": ns = s - 4; break;
        case "PageDown": ns = s + 4; break;
        case "Home": ns = state.first; break;
        case "End": ns = state.last - 1; break;
        case " ": case "Spacebar": case "Enter":
          e.preventDefault();
          toggle(d, s);
          return;
        case "Delete": case "Backspace":
          e.preventDefault();
          if (days[d].open[s]) toggle(d, s);
          return;
        case "z": case "Z":
          if (e.ctrlKey || e.metaKey) { e.preventDefault(); undo(); }
          return;
        default:
          return;
      }
      e.preventDefault();
      nd = Math.min(Math.max(nd, 0), 6);
      ns = Math.min(Math.max(ns, state.first), state.last - 1);
      if (e.shiftKey && (nd !== d || ns !== s)) {
        // Extend with the state of the cell we came from (across a DST gap: the state before it).
        var value = days[d].missing[s] ? state.extendValue : days[d].open[s];
        state.extendValue = value;
        pushUndo();
        setRect([d, s], [nd, ns], value);
        changed();
      }
      setFocus(nd, ns, true);
    });

    // --- pointer: click, drag, touch -------------------------------------------------------

    gridEl.addEventListener("pointerdown", function (e) {
      var pos = cellAt(e.target);
      if (!pos || e.button > 0 || days[pos[0]].missing[pos[1]]) return;
      if (e.pointerType === "touch" && !state.paintMode) {
        state.tap = { pos: pos, id: e.pointerId }; // a tap toggles; a drag scrolls (pointercancel)
        return;
      }
      e.preventDefault();
      var value = days[pos[0]].open[pos[1]] ? 0 : 1;
      state.drag = { anchor: pos, last: pos, value: value, before: snapshot(), id: e.pointerId };
      setRect(pos, pos, value);
      setFocus(pos[0], pos[1], false);
      state.cells[pos[0]][pos[1]].focus({ preventScroll: true }); // so the keyboard carries on from here
      if (gridEl.setPointerCapture && e.pointerType !== "touch") gridEl.setPointerCapture(e.pointerId);
    });

    gridEl.addEventListener("pointermove", function (e) {
      var drag = state.drag;
      if (!drag || e.pointerId !== drag.id) return;
      e.preventDefault();
      autoScroll(e.clientY);
      var pos = cellAt(document.elementFromPoint(e.clientX, e.clientY));
      if (!pos || (pos[0] === drag.last[0] && pos[1] === drag.last[1])) return;
      restore(drag.before);
      drag.last = pos;
      paintAll();
      setRect(drag.anchor, pos, drag.value);
    });

    function endDrag(e) {
      var drag = state.drag;
      if (drag && e.pointerId === drag.id) {
        state.drag = null;
        state.undo.push(drag.before);
        if (state.undo.length > UNDO_LIMIT) state.undo.shift();
        undoBtn.disabled = false;
        setFocus(drag.last[0], drag.last[1], false);
        changed();
      }
      var tap = state.tap;
      if (tap && e.pointerId === tap.id) {
        state.tap = null;
        if (e.type === "pointerup") {
          var pos = cellAt(document.elementFromPoint(e.clientX, e.clientY));
          if (pos && pos[0] === tap.pos[0] && pos[1] === tap.pos[1]) {
            toggle(pos[0], pos[1]);
            setFocus(pos[0], pos[1], false);
            state.cells[pos[0]][pos[1]].focus({ preventScroll: true });
          }
        }
      }
    }
    gridEl.addEventListener("pointerup", endDrag);
    gridEl.addEventListener("pointercancel", function (e) {
      if (state.drag && e.pointerId === state.drag.id) { // the browser took over: undo the half stroke
        restore(state.drag.before);
        paintAll();
        writeFields();
        state.drag = null;
      }
      state.tap = null;
    });

    function autoScroll(y) {
      var box = scroller.getBoundingClientRect(), edge = 28;
      if (y < box.top + edge + 30) scroller.scrollTop -= 12;
      else if (y > box.bottom - edge) scroller.scrollTop += 12;
    }

    // --- controls --------------------------------------------------------------------------

    fullDayBox.checked = state.full;
    fullDayBox.addEventListener("change", function () {
      state.full = fullDayBox.checked;
      render();
      scrollToFocus();
    });

    function setMode(paint) {
      state.paintMode = paint;
      editor.classList.toggle("wk-paint", paint);
      modeButtons.forEach(function (b) { b.setAttribute("aria-pressed", String((b.dataset.mode === "paint") === paint)); });
    }
    modeButtons.forEach(function (b) { b.addEventListener("click", function () { setMode(b.dataset.mode === "paint"); }); });

    undoBtn.addEventListener("click", undo);

    function scrollToFocus() {
      var el = state.focus && state.cells[state.focus[0]][state.focus[1]];
      if (!el) return;
      var rowTop = el.offsetTop - 40;
      scroller.scrollTop = Math.max(0, rowTop - scroller.clientHeight / 3);
    }

    // --- saving (one POST for the week) ----------------------------------------------------

    function fieldLabel(name) {
      var day = days.find(function (d) { return d.info.field === name; });
      return day ? day.info.label + ": " : "";
    }

    form.addEventListener("submit", function (e) {
      e.preventDefault();
      if (state.saving) return;
      writeFields();
      state.saving = true;
      saveBtn.disabled = true;
      setStatus("Saving…", "");
      var body = new FormData(form);
      fetch(form.action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": body.get("csrfmiddlewaretoken") || "" },
      })
        .then(function (response) {
          return response.json().catch(function () { return null; }).then(function (json) {
            return { ok: response.ok, json: json, status: response.status };
          });
        })
        .then(function (result) {
          if (result.ok && result.json && result.json.saved) {
            state.dirty = false;
            setStatus("✓ " + result.json.message, "ok");
            return;
          }
          var error = result.json && result.json.error;
          if (!error) {
            setStatus("Couldn't save (error " + result.status + "). Your changes are still here: try again, or reload the page.", "error");
            return;
          }
          var lines = [];
          Object.keys(error.fields || {}).forEach(function (name) {
            error.fields[name].forEach(function (msg) { lines.push(fieldLabel(name) + msg); });
          });
          setStatus("Not saved. " + (lines.length ? lines.join(" ") : error.message), "error");
        })
        .catch(function () {
          setStatus("Couldn't reach the server. Your changes are still here: try again.", "error");
        })
        .finally(function () {
          state.saving = false;
          saveBtn.disabled = false;
        });
    });

    window.addEventListener("beforeunload", function (e) {
      if (!state.dirty) return;
      e.preventDefault();
      e.returnValue = "";
    });

    // The tools below use the SAVED week: warn before they reload the page over unsaved painting.
    document.querySelectorAll("[data-week-tool]").forEach(function (toolForm) {
      toolForm.addEventListener("submit", function (e) {
        if (!state.dirty) return;
        if (!window.confirm("You have unsaved changes in this week, and this tool uses the week as last saved. Continue without saving them?")) {
          e.preventDefault();
          return;
        }
        state.dirty = false;
      });
    });

    // --- go ---------------------------------------------------------------------------------

    fallback.hidden = true;
    editor.hidden = false;
    form.classList.add("wk-js");
    setMode(false);
    render();
    writeFields();
    scrollToFocus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
