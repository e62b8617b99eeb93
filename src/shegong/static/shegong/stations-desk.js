/* Stations desk: the opening-hours editor ("copy Monday to Tuesday–Friday", hiding the time ranges of a
   day that is open all day or closed), the exception form's ranges, and the poster's print button.
   Loaded as a static file (CSP: no inline script); every page works without it. */
(function () {
  "use strict";

  var WEEKDAYS = ["tue", "wed", "thu", "fri"];

  function checkedMode(scope) {
    var checked = scope.querySelector("input[type=radio]:checked");
    return checked ? checked.value : "";
  }

  // A day (or the exception form) shows its time ranges only when "Hours" is chosen; the inputs keep their
  // values, so switching back restores them (the server ignores ranges of a day that is not "Hours").
  function syncRanges(scope) {
    var ranges = scope.querySelector("[data-sg-ranges]");
    if (ranges) {
      ranges.classList.toggle("sg-ranges-off", checkedMode(scope) !== "hours");
    }
  }

  function copyMonday(editor) {
    var monday = editor.querySelector('[data-sg-day="mon"]');
    if (!monday) {
      return;
    }
    var mode = checkedMode(monday);
    var times = Array.prototype.map.call(monday.querySelectorAll("input.sg-time"), function (input) {
      return input.value;
    });
    WEEKDAYS.forEach(function (day) {
      var row = editor.querySelector('[data-sg-day="' + day + '"]');
      if (!row) {
        return;
      }
      row.querySelectorAll("input[type=radio]").forEach(function (radio) {
        radio.checked = radio.value === mode;
      });
      row.querySelectorAll("input.sg-time").forEach(function (input, i) {
        input.value = i < times.length ? times[i] : "";
      });
      syncRanges(row);
    });
  }

  function init() {
    document.querySelectorAll("[data-sg-hours-editor]").forEach(function (editor) {
      editor.querySelectorAll("[data-sg-day]").forEach(function (row) {
        syncRanges(row);
        row.addEventListener("change", function () {
          syncRanges(row);
        });
      });
      var button = editor.querySelector("[data-sg-copy-monday]");
      if (button) {
        button.hidden = false;
        button.addEventListener("click", function () {
          copyMonday(editor);
        });
      }
    });
    document.querySelectorAll("[data-sg-exception-form]").forEach(function (form) {
      syncRanges(form);
      form.addEventListener("change", function () {
        syncRanges(form);
      });
    });
    document.querySelectorAll("[data-sg-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
