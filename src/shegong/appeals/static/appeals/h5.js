/* The worker's appeal pages (/h5/appeals/): small helpers on top of plain forms. Everything works without
   this file; it only makes the pages kinder on a phone. No inline script anywhere (CSP): behaviour is
   attached through data-* attributes written by the templates. */
(function () {
  "use strict";

  // --- one tap sends once: <form data-h5-once data-busy-label="…"> -------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-h5-once") || event.defaultPrevented) {
      return;
    }
    if (form.getAttribute("data-h5-sending") === "1") {
      event.preventDefault(); // a second tap while the first is on its way
      return;
    }
    form.setAttribute("data-h5-sending", "1");
    var submitter = event.submitter;
    // Disable after the browser has collected the form data (a disabled button would drop its value).
    window.setTimeout(function () {
      form.querySelectorAll('button[type="submit"], input[type="submit"]').forEach(function (button) {
        button.disabled = true;
      });
      var label = form.getAttribute("data-busy-label");
      if (submitter && label && !submitter.classList.contains("visually-hidden")) {
        submitter.textContent = label;
      }
    }, 0);
    // If the page stays (the browser's back-forward cache, a stopped request), allow trying again.
    window.setTimeout(function () {
      form.removeAttribute("data-h5-sending");
      form.querySelectorAll('button[type="submit"]').forEach(function (button) {
        if (!button.hasAttribute("data-h5-waiting")) {
          button.disabled = false;
        }
      });
    }, 15000);
  });

  // --- "get a code" countdown: the server answers with <span data-h5-countdown="60"> ------------------
  function startCountdown(root) {
    var marker = root.querySelector ? root.querySelector("[data-h5-countdown]") : null;
    var button = document.querySelector("[data-h5-send-code]");
    if (!marker || !button) {
      return;
    }
    var seconds = parseInt(marker.getAttribute("data-h5-countdown"), 10) || 0;
    marker.removeAttribute("data-h5-countdown");
    var original = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", original);
    var template = button.getAttribute("data-wait-label") || "{s}";
    button.disabled = true;
    button.setAttribute("data-h5-waiting", "1");
    var tick = function () {
      if (seconds <= 0) {
        button.disabled = false;
        button.removeAttribute("data-h5-waiting");
        button.textContent = original;
        return;
      }
      button.textContent = template.replace("{s}", String(seconds));
      seconds -= 1;
      window.setTimeout(tick, 1000);
    };
    tick();
  }

  // --- "use my location" fills latitude and longitude -------------------------------------------------
  function setupLocate(button) {
    if (!("geolocation" in navigator) || button.getAttribute("data-h5-ready")) {
      return;
    }
    button.setAttribute("data-h5-ready", "1");
    button.classList.remove("d-none");
    var status = document.getElementById(button.getAttribute("data-status"));
    var say = function (text) {
      if (status) {
        status.textContent = text;
      }
    };
    button.addEventListener("click", function () {
      say(button.getAttribute("data-busy"));
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          document.getElementById(button.getAttribute("data-lat")).value = position.coords.latitude.toFixed(6);
          document.getElementById(button.getAttribute("data-lng")).value = position.coords.longitude.toFixed(6);
          var metres = String(Math.round(position.coords.accuracy || 0));
          say((button.getAttribute("data-found") || "").replace("{m}", metres));
          button.disabled = false;
        },
        function () {
          say(button.getAttribute("data-failed"));
          button.disabled = false;
        },
        { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
      );
    });
  }

  // --- characters typed, for the 4,000-character limit ------------------------------------------------
  function setupCounter(counter) {
    var field = document.getElementById(counter.getAttribute("data-h5-count-for"));
    if (!field || counter.getAttribute("data-h5-ready")) {
      return;
    }
    counter.setAttribute("data-h5-ready", "1");
    var update = function () {
      counter.textContent = (counter.getAttribute("data-template") || "{n}").replace("{n}", String(field.value.length));
    };
    field.addEventListener("input", update);
    update();
  }

  // --- photos: at most N, and small enough to send ----------------------------------------------------
  // Phone photos are often 3–8 MB each; five of them exceed what one request may carry. Unless the worker
  // asked to keep the photo's location (a re-drawn picture loses it), large photos are redrawn smaller
  // as JPEG before sending. The server checks everything again either way.
  var MAX_SIDE = 2560;

  function shrink(file) {
    if (!window.createImageBitmap || !/^image\//.test(file.type)) {
      return Promise.resolve(file);
    }
    return window.createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(
          function (blob) {
            if (!blob || blob.size >= file.size) {
              resolve(file);
              return;
            }
            var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
            resolve(new File([blob], name, { type: "image/jpeg" }));
          },
          "image/jpeg",
          0.85
        );
      });
    });
  }

  function setupPhotos(input) {
    if (input.getAttribute("data-h5-ready")) {
      return;
    }
    input.setAttribute("data-h5-ready", "1");
    var status = document.getElementById(input.getAttribute("data-status"));
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10) || 5;
    var maxFile = parseInt(input.getAttribute("data-max-file-bytes"), 10) || 0;
    // leave room for the text fields and the multipart framing
    var maxTotal = (parseInt(input.getAttribute("data-max-total-bytes"), 10) || 0) - 64 * 1024;
    var keep = document.getElementById(input.getAttribute("data-keep-location"));
    var submit = input.form ? input.form.querySelector('[data-testid="submit"]') : null;
    var say = function (text, isError) {
      if (status) {
        status.textContent = text || "";
        status.classList.toggle("text-danger", Boolean(isError));
      }
    };
    var total = function (files) {
      return files.reduce(function (sum, f) {
        return sum + f.size;
      }, 0);
    };
    input.addEventListener("change", function () {
      var files = Array.prototype.slice.call(input.files || []);
      say("");
      if (files.length > maxFiles) {
        input.value = "";
        say(input.getAttribute("data-too-many"), true);
        return;
      }
      var tooBig = function (list) {
        return (maxTotal > 0 && total(list) > maxTotal) || list.some(function (f) { return maxFile > 0 && f.size > maxFile; });
      };
      if (!tooBig(files)) {
        return;
      }
      if ((keep && keep.checked) || !window.DataTransfer) {
        say(input.getAttribute("data-too-big"), true);
        return;
      }
      say(input.getAttribute("data-shrinking"));
      if (submit) {
        submit.disabled = true;
      }
      Promise.all(files.map(shrink))
        .then(function (smaller) {
          var transfer = new DataTransfer();
          smaller.forEach(function (f) {
            transfer.items.add(f);
          });
          input.files = transfer.files;
          say(tooBig(smaller) ? input.getAttribute("data-too-big") : "", tooBig(smaller));
        })
        .catch(function () {
          say(input.getAttribute("data-too-big"), true);
        })
        .then(function () {
          if (submit) {
            submit.disabled = false;
          }
        });
    });
  }

  function setup(root) {
    root.querySelectorAll("[data-h5-locate]").forEach(setupLocate);
    root.querySelectorAll("[data-h5-count-for]").forEach(setupCounter);
    root.querySelectorAll("[data-h5-photos]").forEach(setupPhotos);
    startCountdown(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    setup(document);
  });
  // Content swapped in by htmx (the code status, the place selects).
  document.addEventListener("htmx:load", function (event) {
    setup(event.detail.elt.parentNode || document);
  });
})();
