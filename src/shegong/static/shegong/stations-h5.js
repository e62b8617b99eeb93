/* The rider's station pages (/h5/stations/). The pages are complete without this file: it asks the browser
   for its position (and reloads the list page with it), submits the district/street picker when a choice
   changes, and falls back from a map app link to its web page when the app is not installed.
   No inline script anywhere (CSP): behaviour hangs on data-* attributes written by the templates. */
(function () {
  "use strict";

  // --- where am I: the Geolocation API reports WGS-84; the server converts it -------------------------
  function showFallback(box, text) {
    var status = box.querySelector("[data-testid=locate-status]");
    if (status) {
      status.textContent = text;
      status.classList.add("text-danger");
    }
    box.setAttribute("data-located", "failed");
    var fallback = document.getElementById("stations-fallback");
    var first = fallback ? fallback.querySelector("select") : null;
    if (first) {
      first.focus();
    }
  }

  function locate(box) {
    if (box.getAttribute("data-auto") !== "1" || box.getAttribute("data-stations-ready")) {
      return;
    }
    box.setAttribute("data-stations-ready", "1");
    var failed = box.getAttribute("data-failed") || "";
    if (!("geolocation" in navigator)) {
      showFallback(box, failed);
      return;
    }
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var params = new URLSearchParams();
        params.set("lat", position.coords.latitude.toFixed(6));
        params.set("lng", position.coords.longitude.toFixed(6));
        params.set("coords", "wgs84");
        if (box.getAttribute("data-amenity")) {
          params.set("amenity", box.getAttribute("data-amenity"));
        }
        if (box.getAttribute("data-all")) {
          params.set("all", box.getAttribute("data-all"));
        }
        box.setAttribute("data-located", "yes");
        // replace: the back button should not come back to the "finding your location" page
        window.location.replace(window.location.pathname + "?" + params.toString());
      },
      function () {
        showFallback(box, failed);
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  // --- district → street: a choice reloads the page with the next level -------------------------------
  function setupPicker(form) {
    if (form.getAttribute("data-stations-ready")) {
      return;
    }
    form.setAttribute("data-stations-ready", "1");
    form.querySelectorAll("[data-stations-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () {
        // a new district: forget the street chosen under the old one
        if (select.name === "district") {
          var street = form.querySelector("select[name=street]");
          if (street) {
            street.value = "";
          }
        }
        if (form.requestSubmit) {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    });
  }

  // --- a map app link: if the app did not open (the page is still visible), open its web page ---------
  function setupFallbackLink(link) {
    if (link.getAttribute("data-stations-ready")) {
      return;
    }
    link.setAttribute("data-stations-ready", "1");
    link.addEventListener("click", function () {
      var web = link.getAttribute("data-stations-fallback");
      var started = Date.now();
      window.setTimeout(function () {
        if (!document.hidden && Date.now() - started < 4000) {
          window.location.href = web;
        }
      }, 1800);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-stations-locate]").forEach(locate);
    document.querySelectorAll("[data-stations-picker]").forEach(setupPicker);
    document.querySelectorAll("[data-stations-fallback]").forEach(setupFallbackLink);
  });
})();
